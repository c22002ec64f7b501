/* BROADCAST_ARGS: the broadcast shape of two shape vectors, aligned at their ends (a missing
 * entry counts as 1): entry = a if b == 1, b if a == 1, else a (equal by contract). Entries
 * are compared as int, as TFLM's reference does, also for int64 shapes. */
#ifndef TFLM_BROADCAST_ARGS_H
#define TFLM_BROADCAST_ARGS_H

#include "tflm_common.h"

void tflm_broadcast_args_s32(const int32_t *a, int32_t na, const int32_t *b, int32_t nb,
                             int32_t *output, int32_t n_out);
void tflm_broadcast_args_s64(const int64_t *a, int32_t na, const int64_t *b, int32_t nb,
                             int64_t *output, int32_t n_out);

#endif /* TFLM_BROADCAST_ARGS_H */
