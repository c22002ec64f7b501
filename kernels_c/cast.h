/* CAST between integer types as C's conversions do (TFLM: static_cast): a wider value keeps
 * its low bits (two's complement wrap), bool is 0 or 1. Element i is read before it is
 * written, so equally wide input and output may share memory. */
#ifndef TFLM_CAST_H
#define TFLM_CAST_H
#include "tflm_common.h"
typedef enum {
    TFLM_CAST_INT8, TFLM_CAST_INT16, TFLM_CAST_INT32, TFLM_CAST_UINT32, TFLM_CAST_BOOL
} tflm_cast_type_t;
void tflm_cast(const void *input, tflm_cast_type_t in_type, void *output,
               tflm_cast_type_t out_type, int32_t count);
#endif /* TFLM_CAST_H */
