/* A stand-in port without any framework: lets the validation firmware and the generated
 * bundle be compiled and linked for a board's CPU where the board's real framework
 * (the Arduino core) is not installed. It never receives a byte and drops what it writes;
 * ticks come from the DWT cycle counter where the CPU has one (-DTFLM_PY_TICKS_DWT). */
#include "tflm_py_port.h"

static volatile uint8_t tflm_py_stub_sink;

void tflm_port_init(void)
{
#if defined(TFLM_PY_TICKS_DWT)
    *(volatile uint32_t *)0xE000EDFCu |= (1u << 24);
    *(volatile uint32_t *)0xE0001000u |= 1u;
#endif
}

int tflm_port_getc(void)
{
    return -1;
}

void tflm_port_write(const uint8_t *data, size_t n)
{
    for (size_t i = 0; i < n; ++i) {
        tflm_py_stub_sink = data[i];
    }
}

uint64_t tflm_port_ticks(void)
{
#if defined(TFLM_PY_TICKS_DWT)
    return *(volatile uint32_t *)0xE0001004u;
#else
    return 0u;
#endif
}

void tflm_port_ticks_restart(void)
{
}

const char *tflm_port_tick_unit(void)
{
    return "cycles";
}

uint32_t tflm_port_tick_hz(void)
{
    return 0u;
}

int main(void)
{
    tflm_py_fw_init();
    for (;;) {
        tflm_py_fw_poll();
    }
}
