#include "broadcast_args.h"

static int32_t pick(int32_t a, int32_t b)
{
    return a == 1 ? b : a;
}

void tflm_broadcast_args_s32(const int32_t *a, int32_t na, const int32_t *b, int32_t nb,
                             int32_t *output, int32_t n_out)
{
    for (int32_t i = 0; i < n_out; ++i) { /* i counts from the end */
        const int32_t ai = i < na ? a[na - 1 - i] : 1;
        const int32_t bi = i < nb ? b[nb - 1 - i] : 1;
        output[n_out - 1 - i] = pick(ai, bi);
    }
}

void tflm_broadcast_args_s64(const int64_t *a, int32_t na, const int64_t *b, int32_t nb,
                             int64_t *output, int32_t n_out)
{
    for (int32_t i = 0; i < n_out; ++i) {
        /* narrowed to int first, as the reference kernel does */
        const int32_t ai = i < na ? (int32_t)(uint32_t)(uint64_t)a[na - 1 - i] : 1;
        const int32_t bi = i < nb ? (int32_t)(uint32_t)(uint64_t)b[nb - 1 - i] : 1;
        output[n_out - 1 - i] = (int64_t)pick(ai, bi);
    }
}
