/* tflm_py_port.h — the board port layer used by the tflm_py validation firmware.
 *
 * A port is a few small functions: a byte-oriented serial link (UART, USB serial, a
 * pseudo-terminal) and a monotonic tick counter. The firmware (src/main.c) owns the
 * protocol; the port owns the hardware and the program entry point: it calls
 * tflm_py_fw_init() once and then tflm_py_fw_poll() forever (Arduino: setup()/loop()). */
#ifndef TFLM_PY_PORT_H
#define TFLM_PY_PORT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* provided by the port */
void tflm_port_init(void);                            /* serial link and tick counter */
int tflm_port_getc(void);                             /* next byte 0..255, or -1 if none yet */
void tflm_port_write(const uint8_t *data, size_t n);  /* blocking write of n bytes */
uint64_t tflm_port_ticks(void);                       /* monotonic tick counter */
void tflm_port_ticks_restart(void);                   /* called before each measured
                                                         invoke: may restart the counter */
const char *tflm_port_tick_unit(void);                /* "cycles", "us", "instructions (QEMU icount)" */
uint32_t tflm_port_tick_hz(void);                     /* ticks per second, 0 if not time */

/* provided by the firmware */
void tflm_py_fw_init(void);
void tflm_py_fw_poll(void);                           /* serve whatever bytes have arrived */

#ifdef __cplusplus
}
#endif

#endif /* TFLM_PY_PORT_H */
