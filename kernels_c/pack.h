/* PACK: input i of `count` equally shaped inputs becomes slice i along the new axis. Each
 * input is `outer` contiguous chunks of `chunk_bytes`; in the output the chunks of one input
 * are `count * chunk_bytes` apart. One call per input, the output pointer at its slice. */
#ifndef TFLM_PACK_H
#define TFLM_PACK_H
#include "tflm_common.h"
void tflm_pack_bytes(const void *input, void *output, int32_t outer, int32_t chunk_bytes,
                     int32_t out_stride_bytes);
#endif /* TFLM_PACK_H */
