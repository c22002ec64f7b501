/* RESHAPE / SQUEEZE / EXPAND_DIMS: the output is the input's bytes under another shape.
 * Normally the planner gives both tensors the same memory and nothing runs; this copy is for
 * the cases it cannot (a graph input or a constant feeding the op, a graph output). */
#ifndef TFLM_RESHAPE_H
#define TFLM_RESHAPE_H

#include "tflm_common.h"

/* Copies `bytes` bytes from input to output unless both point at the same memory. */
void tflm_reshape(const void *input, void *output, size_t bytes);

#endif /* TFLM_RESHAPE_H */
