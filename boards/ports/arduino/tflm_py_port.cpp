// Port layer for the Arduino framework: Serial (USB CDC or the board's debug UART) and a
// cycle counter: the Cortex-M DWT CYCCNT where the CPU has one (M3/M4/M7), the Xtensa
// CCOUNT on ESP32, else micros(). The build flags choose: -DTFLM_PY_TICKS_DWT,
// -DTFLM_PY_TICKS_CCOUNT or -DTFLM_PY_TICKS_MICROS; -DTFLM_PY_BAUD=<baud>.
#include <Arduino.h>

#include "tflm_py_port.h"

#ifndef TFLM_PY_BAUD
#define TFLM_PY_BAUD 115200
#endif
#ifndef TFLM_PY_CPU_HZ
#define TFLM_PY_CPU_HZ F_CPU
#endif

#if defined(TFLM_PY_TICKS_DWT)
#define DEMCR (*(volatile uint32_t *)0xE000EDFCu)
#define DWT_CTRL (*(volatile uint32_t *)0xE0001000u)
#define DWT_CYCCNT (*(volatile uint32_t *)0xE0001004u)
#define DWT_LAR (*(volatile uint32_t *)0xE0001FB0u)
static uint32_t raw_ticks(void) { return DWT_CYCCNT; }
#elif defined(TFLM_PY_TICKS_CCOUNT)
static uint32_t raw_ticks(void) { return ESP.getCycleCount(); }
#else
static uint32_t raw_ticks(void) { return (uint32_t)micros(); }
#endif

static uint32_t last_raw;
static uint64_t high_ticks;

extern "C" void tflm_port_init(void)
{
    Serial.begin(TFLM_PY_BAUD);
    const unsigned long t0 = millis();
    while (!Serial && millis() - t0 < 3000) {
        // USB serial: wait a little for the host to open the port
    }
#if defined(TFLM_PY_TICKS_DWT)
    DEMCR |= (1u << 24);   // TRCENA
    DWT_LAR = 0xC5ACCE55u; // unlock (Cortex-M7); ignored elsewhere
    DWT_CYCCNT = 0;
    DWT_CTRL |= 1u;        // CYCCNTENA
#endif
    last_raw = raw_ticks();
}

extern "C" int tflm_port_getc(void)
{
    return Serial.available() > 0 ? Serial.read() : -1;
}

extern "C" void tflm_port_write(const uint8_t *data, size_t n)
{
    Serial.write(data, n);
}

extern "C" uint64_t tflm_port_ticks(void)
{
    // a 32-bit counter extended to 64 bits; called often enough (per layer) not to miss a wrap
    const uint32_t now = raw_ticks();
    if (now < last_raw) {
        high_ticks += (uint64_t)1 << 32;
    }
    last_raw = now;
    return high_ticks | now;
}

extern "C" void tflm_port_ticks_restart(void)
{
}

extern "C" const char *tflm_port_tick_unit(void)
{
#if defined(TFLM_PY_TICKS_DWT) || defined(TFLM_PY_TICKS_CCOUNT)
    return "cycles";
#else
    return "us";
#endif
}

extern "C" uint32_t tflm_port_tick_hz(void)
{
#if defined(TFLM_PY_TICKS_DWT) || defined(TFLM_PY_TICKS_CCOUNT)
    return (uint32_t)TFLM_PY_CPU_HZ;
#else
    return 1000000u;
#endif
}

void setup()
{
    tflm_py_fw_init();
}

void loop()
{
    tflm_py_fw_poll();
}
