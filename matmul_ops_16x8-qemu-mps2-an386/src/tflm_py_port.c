/* Port layer for QEMU's MPS2 boards (mps2-an385/an386/an500): CMSDK UART0 and SysTick.
 *
 * Ticks: SysTick on the processor clock (25 MHz on MPS2) with the wraps counted in its
 * interrupt. Under `qemu-system-arm -icount shift=0` one instruction takes 1 ns of
 * virtual time, so one SysTick tick is 40 instructions and the counter below is an
 * instruction count, identical run to run. Without -icount it follows host time. */
#include <stdint.h>
#include "tflm_py_port.h"

#define UART0_BASE 0x40004000u
#define UART_DATA (*(volatile uint32_t *)(UART0_BASE + 0x00u))
#define UART_STATE (*(volatile uint32_t *)(UART0_BASE + 0x04u))
#define UART_CTRL (*(volatile uint32_t *)(UART0_BASE + 0x08u))
#define UART_BAUDDIV (*(volatile uint32_t *)(UART0_BASE + 0x10u))
#define UART_STATE_TX_FULL 0x1u
#define UART_STATE_RX_FULL 0x2u

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SYST_RELOAD 0xFFFFFFu

#ifndef TFLM_PY_CPU_HZ
#define TFLM_PY_CPU_HZ 25000000u
#endif
/* instructions per SysTick tick under -icount shift=0 (1 ns per instruction) */
#define TICK_SCALE (1000000000u / TFLM_PY_CPU_HZ)

static volatile uint32_t systick_wraps;

void SysTick_Handler(void)
{
    systick_wraps++;
}

void tflm_port_ticks_restart(void)
{
    /* restart SysTick so every measurement starts at the same phase of its 40-instruction
     * tick: counts are then identical run to run for the same work */
    SYST_CSR = 0u;
    SYST_RVR = SYST_RELOAD;
    SYST_CVR = 0u;
    systick_wraps = 0u;
    SYST_CSR = 0x7u; /* processor clock, interrupt, enable */
    /* the current value reads 0 until the first tick loads the reload value; a reading
     * taken before that would count as a whole period. Wait for the load (<= 1 tick). */
    while (SYST_CVR == 0u) {
    }
}

void tflm_port_init(void)
{
    UART_BAUDDIV = 16u;
    UART_CTRL = 0x3u; /* TX and RX enable */
    tflm_port_ticks_restart();
}

int tflm_port_getc(void)
{
    if ((UART_STATE & UART_STATE_RX_FULL) == 0u) {
        return -1;
    }
    return (int)(UART_DATA & 0xFFu);
}

void tflm_port_write(const uint8_t *data, size_t n)
{
    for (size_t i = 0; i < n; ++i) {
        while (UART_STATE & UART_STATE_TX_FULL) {
        }
        UART_DATA = data[i];
    }
}

uint64_t tflm_port_ticks(void)
{
    uint32_t w1, w2, v;
    do {
        w1 = systick_wraps;
        v = SYST_CVR;
        w2 = systick_wraps;
    } while (w1 != w2);
    const uint64_t t = (uint64_t)w1 * (SYST_RELOAD + 1u) + (uint64_t)(SYST_RELOAD - v);
    return t * TICK_SCALE;
}

const char *tflm_port_tick_unit(void)
{
    return "instructions (QEMU icount)";
}

uint32_t tflm_port_tick_hz(void)
{
    return 0u; /* an instruction count, not time */
}

int main(void)
{
    tflm_py_fw_init();
    for (;;) {
        tflm_py_fw_poll();
    }
}
