/* fake.c — hand-written test double with the API of a tflm_py bundle (tests only). */
#include <stddef.h>
#include <stdint.h>

#include "fake.h"
#include "fake_model_data.h"
#include "tflm_common.h"

#if defined(TFLM_PY_PROFILE) || defined(TFLM_PY_VALIDATION)
void tflm_py_layer_done(int op_index);
#define FAKE_LAYER_DONE(i) tflm_py_layer_done(i)
#else
#define FAKE_LAYER_DONE(i) ((void)0)
#endif

static int8_t fake_arena[16] __attribute__((aligned(16)));

const tflm_py_io_info_t fake_input_info[FAKE_INPUT_COUNT] = {
    { "input", 9, 2, { 1, 8, 0, 0, 0, 0 }, 8, 0.5f, -3 },
};
const tflm_py_io_info_t fake_output_info[FAKE_OUTPUT_COUNT] = {
    { "output", 9, 2, { 1, 8, 0, 0, 0, 0 }, 8, 0.5f, -2 },
};

int8_t *fake_input(int i) { return i == 0 ? fake_arena : NULL; }
int8_t *fake_output(int i) { return i == 0 ? fake_arena + 8 : NULL; }
void fake_reset(void) {}

int fake_invoke(void)
{
    /* adds fake_model_data[0] - 0x73: 1, as model byte 0 is 't' (0x74) unless perturbed */
    const int add = (int)fake_model_data[0] - 0x73;
    for (int k = 0; k < 8; ++k) {
        fake_arena[8 + k] = (int8_t)(uint8_t)((unsigned)(uint8_t)fake_arena[k] + (unsigned)add);
    }
    FAKE_LAYER_DONE(0);
    return 0;
}

#ifdef TFLM_PY_VALIDATION
const tflm_py_layer_t fake_layers[FAKE_LAYER_COUNT] = {
    { 0u, 0u, fake_arena + 8, 8u },
};

uint32_t tflm_py_crc_bytes(uint32_t crc, const void *data, size_t n);

void fake_data_crcs(uint32_t crc[FAKE_OP_COUNT + 1])
{
    crc[0] = tflm_py_crc_bytes(0xFFFFFFFFu, fake_model_data, FAKE_MODEL_DATA_BYTES) ^ 0xFFFFFFFFu;
    crc[1] = 0u; /* the op reads no params */
}
#endif
