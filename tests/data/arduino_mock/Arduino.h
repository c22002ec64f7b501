/* A few declarations of the Arduino core API, enough to compile-check tflm_py's Arduino port
 * layer where no Arduino core is installed (tests only; nothing here is linked or run). */
#ifndef TFLM_PY_ARDUINO_MOCK_H
#define TFLM_PY_ARDUINO_MOCK_H

#include <stddef.h>
#include <stdint.h>

#ifndef F_CPU
#define F_CPU 100000000L
#endif

unsigned long millis(void);
unsigned long micros(void);

class HardwareSerialMock {
public:
    void begin(unsigned long baud);
    int available(void);
    int read(void);
    size_t write(const uint8_t *buffer, size_t size);
    operator bool() const;
};
extern HardwareSerialMock Serial;

class EspClassMock {
public:
    uint32_t getCycleCount(void);
};
extern EspClassMock ESP;

void setup(void);
void loop(void);

#endif
