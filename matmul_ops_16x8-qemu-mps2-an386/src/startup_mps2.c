/* Minimal Cortex-M startup for QEMU's MPS2 boards: vector table, .data/.bss setup,
 * FPU enable (when built for a hard-float ABI), then main(). */
#include <stdint.h>

extern uint32_t _estack, _sidata, _sdata, _edata, _sbss, _ebss;
int main(void);
void SysTick_Handler(void);
void Reset_Handler(void);

static void Default_Handler(void)
{
    for (;;) {
    }
}

__attribute__((section(".isr_vector"), used))
const void *const tflm_py_vectors[16] = {
    &_estack,
    (const void *)Reset_Handler,
    (const void *)Default_Handler, /* NMI */
    (const void *)Default_Handler, /* HardFault */
    (const void *)Default_Handler, /* MemManage */
    (const void *)Default_Handler, /* BusFault */
    (const void *)Default_Handler, /* UsageFault */
    0, 0, 0, 0,
    (const void *)Default_Handler, /* SVC */
    (const void *)Default_Handler, /* DebugMon */
    0,
    (const void *)Default_Handler, /* PendSV */
    (const void *)SysTick_Handler,
};

void Reset_Handler(void)
{
    uint32_t *src = &_sidata;
    for (uint32_t *dst = &_sdata; dst < &_edata;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = &_sbss; dst < &_ebss;) {
        *dst++ = 0u;
    }
#if defined(__ARM_FP)
    *(volatile uint32_t *)0xE000ED88u |= (0xFu << 20); /* CPACR: CP10, CP11 full access */
    __asm volatile("dsb\n\tisb");
#endif
    (void)main();
    for (;;) {
    }
}
