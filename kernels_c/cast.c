#include "cast.h"

static int64_t read_value(const void *p, tflm_cast_type_t t, int32_t i)
{
    switch (t) {
    case TFLM_CAST_INT8: return ((const int8_t *)p)[i];
    case TFLM_CAST_INT16: return ((const int16_t *)p)[i];
    case TFLM_CAST_INT32: return ((const int32_t *)p)[i];
    case TFLM_CAST_UINT32: return ((const uint32_t *)p)[i];
    default: return ((const uint8_t *)p)[i] != 0;
    }
}

void tflm_cast(const void *input, tflm_cast_type_t in_type, void *output,
               tflm_cast_type_t out_type, int32_t count)
{
    for (int32_t i = 0; i < count; ++i) {
        /* the low bits through unsigned arithmetic: defined for every value */
        const uint32_t v = (uint32_t)(uint64_t)read_value(input, in_type, i);
        switch (out_type) {
        case TFLM_CAST_INT8: ((int8_t *)output)[i] = (int8_t)(uint8_t)v; break;
        case TFLM_CAST_INT16: ((int16_t *)output)[i] = (int16_t)(uint16_t)v; break;
        case TFLM_CAST_INT32: ((int32_t *)output)[i] = (int32_t)v; break;
        default: ((uint32_t *)output)[i] = v; break;
        }
    }
}
