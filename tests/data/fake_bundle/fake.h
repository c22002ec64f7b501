/* fake.h — hand-written test double with the API of a tflm_py bundle (tests only):
 * one int8 input [1, 8], one int8 output [1, 8], output = input + 1 (wrapping). */
#ifndef FAKE_H
#define FAKE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FAKE_ARENA_BYTES  16
#define FAKE_STATE_BYTES  0
#define FAKE_INPUT_COUNT  1
#define FAKE_OUTPUT_COUNT 1
#define FAKE_OP_COUNT     1
#define FAKE_MODEL_HASH   "918aa73dde0d306d89ad173392a00a7ab22e1018ed92899d8c19fd1610511be9"

#ifndef TFLM_PY_IO_INFO_T
#define TFLM_PY_IO_INFO_T
#define TFLM_PY_FLOAT32 0
#define TFLM_PY_INT32   2
#define TFLM_PY_UINT8   3
#define TFLM_PY_INT16   7
#define TFLM_PY_INT8    9
typedef struct {
    const char *name;
    int type;
    int rank;
    int dims[6];
    int bytes;
    float scale;
    int zero_point;
} tflm_py_io_info_t;
#endif

#define FAKE_INPUT0_BYTES      8
#define FAKE_INPUT0_RANK       2
#define FAKE_INPUT0_DIMS       { 1, 8 }
#define FAKE_INPUT0_TYPE       9
#define FAKE_INPUT0_SCALE      0.5f
#define FAKE_INPUT0_ZERO_POINT -3
#define FAKE_OUTPUT0_BYTES      8
#define FAKE_OUTPUT0_RANK       2
#define FAKE_OUTPUT0_DIMS       { 1, 8 }
#define FAKE_OUTPUT0_TYPE       9
#define FAKE_OUTPUT0_SCALE      0.5f
#define FAKE_OUTPUT0_ZERO_POINT -2

#ifdef TFLM_PY_VALIDATION
#define FAKE_LAYER_COUNT 1
#ifndef TFLM_PY_LAYER_T
#define TFLM_PY_LAYER_T
typedef struct {
    uint16_t op;
    uint8_t output;
    const void *data;
    uint32_t bytes;
} tflm_py_layer_t;
#endif
extern const tflm_py_layer_t fake_layers[FAKE_LAYER_COUNT];
void fake_data_crcs(uint32_t crc[FAKE_OP_COUNT + 1]);
#endif

extern const tflm_py_io_info_t fake_input_info[FAKE_INPUT_COUNT];
extern const tflm_py_io_info_t fake_output_info[FAKE_OUTPUT_COUNT];

int fake_invoke(void);
int8_t *fake_input(int i);
int8_t *fake_output(int i);
void fake_reset(void);

#ifdef __cplusplus
}
#endif

#endif
