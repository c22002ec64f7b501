/* tflm_common.h — placeholder of the shared kernel helpers (fake bundle, tests only). */
#ifndef TFLM_COMMON_H
#define TFLM_COMMON_H
#include <stdint.h>
#include <stddef.h>
#endif
