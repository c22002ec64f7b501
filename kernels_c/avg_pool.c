/* AVERAGE_POOL_2D int8 and int16 kernels (TFLM reference arithmetic). */
#include "avg_pool.h"

void tflm_avg_pool_s8(const tflm_avg_pool_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t depth = p->depth;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *in_b = input + (size_t)b * p->input_h * p->input_w * depth;
        for (int32_t oy = 0; oy < p->output_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            const int32_t ys = TFLM_MAX(y0, 0);
            const int32_t ye = TFLM_MIN(y0 + p->filter_h, p->input_h);
            for (int32_t ox = 0; ox < p->output_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                const int32_t xs = TFLM_MAX(x0, 0);
                const int32_t xe = TFLM_MIN(x0 + p->filter_w, p->input_w);
                const int32_t count = (ye - ys) * (xe - xs);
                for (int32_t c = 0; c < depth; ++c) {
                    int32_t sum = 0;
                    for (int32_t iy = ys; iy < ye; ++iy) {
                        const int8_t *row = in_b + ((size_t)iy * p->input_w) * depth + c;
                        for (int32_t ix = xs; ix < xe; ++ix) {
                            sum += row[(size_t)ix * depth];
                        }
                    }
                    int32_t avg = 0;
                    if (count > 0) {
                        /* round half away from zero; C division truncates toward zero */
                        avg = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
                    }
                    *output++ = (int8_t)TFLM_CLAMP(avg, p->act_min, p->act_max);
                }
            }
        }
    }
}

void tflm_avg_pool_s16(const tflm_avg_pool_params_t *p, const int16_t *input,
                       int16_t *output)
{
    const int32_t depth = p->depth;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int16_t *in_b = input + (size_t)b * p->input_h * p->input_w * depth;
        for (int32_t oy = 0; oy < p->output_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            const int32_t ys = TFLM_MAX(y0, 0);
            const int32_t ye = TFLM_MIN(y0 + p->filter_h, p->input_h);
            for (int32_t ox = 0; ox < p->output_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                const int32_t xs = TFLM_MAX(x0, 0);
                const int32_t xe = TFLM_MIN(x0 + p->filter_w, p->input_w);
                const int32_t count = (ye - ys) * (xe - xs);
                for (int32_t c = 0; c < depth; ++c) {
                    int32_t sum = 0;
                    for (int32_t iy = ys; iy < ye; ++iy) {
                        const int16_t *row = in_b + ((size_t)iy * p->input_w) * depth + c;
                        for (int32_t ix = xs; ix < xe; ++ix) {
                            sum += row[(size_t)ix * depth];
                        }
                    }
                    int32_t avg = 0;
                    if (count > 0) {
                        /* round half away from zero; C division truncates toward zero */
                        avg = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
                    }
                    *output++ = (int16_t)TFLM_CLAMP(avg, p->act_min, p->act_max);
                }
            }
        }
    }
}
