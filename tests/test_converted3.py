"""The third converter-made corpus (tests/data/converted3/, built by
scripts/make_keras_corpus3.py): models shaped like users' (EfficientNet-lite, MobileNetV3 and
squeeze-excite blocks, keyword spotting, CRNN, LSTM/GRU/SimpleRNN, TCN, attention with masks,
group/layer normalization, U-Net, sub-pixel super-resolution) and the tf.* math, indexing,
selection, comparison, resizing and data-movement ops, full-integer int8 with int8 I/O, some
also with float32 I/O (`_float_io`). Every model in EXPECTED_TO_RUN runs as TFLM runs it
(simulator == TFLM exactly; host C == simulator on a sample); every model in REFUSED is refused
with one line naming the op, and TFLM refuses it too; BEYOND_TFLM runs here though TFLM cannot
allocate it, checked against TFLite's reference kernels (outputs stored beside the model).
The models in TFLM_RUNS are refused here though TFLM runs them: known gaps, named."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import ROOT
from converted_checks import (assert_beyond_tflm_matches_reference,
                              assert_host_c_matches_simulator, assert_refused,
                              assert_simulator_matches_tflm)
from test_converted2 import _samples
from tflm_py import load_model

CORPUS = ROOT / "tests" / "data" / "converted3"

EXPECTED_TO_RUN = [
    # architectures
    "efficientnet_lite", "efficientnet_lite_float_io", "mobilenet_v3_block", "squeeze_excite",
    "squeeze_excite_float_io", "resnet_downsample", "kws_cnn", "kws_cnn_float_io",
    "audio_conv1d", "tcn_batch1", "crnn_batch1", "crnn_batch1_float_io", "lstm_unrolled_batch1",
    "lstm_unrolled_batch1_float_io", "lstm_sequences_batch1", "gru_sequences_batch1",
    "simple_rnn_stacked_batch1", "mha_causal_batch1", "mha_mask_input_batch1",
    "transformer_encoder_batch1", "transformer_encoder_batch1_float_io",
    "einsum_attention_batch1", "group_norm", "group_norm_batch1", "layer_norm_conv_batch1",
    "depthwise_mult3_dilated_batch1", "separable_dilated_batch1", "conv_transpose_strided",
    "unet_tiny", "unet_tiny_float_io", "autoencoder", "espcn_batch1", "space_to_depth_stem",
    "upsample_variants", "upsample_variants_float_io", "crop_pad_1d_2d", "siamese_distance",
    "siamese_distance_float_io", "multi_head_outputs", "multi_head_outputs_float_io",
    # activations and normalizations
    "activations_mix", "activations_mix_float_io", "elu_conv", "prelu_shared",
    "softmax_axes_batch1", "log_softmax_3d", "l2_normalize_axes",
    # tf.math, indexing, selection, data movement
    "squared_difference", "div_by_norm", "rsqrt_var", "min_max_clip", "reduce_variants",
    "arg_min_max_batch1", "arg_min_max_batch1_float_io", "argmax_dynamic",
    "gather_const_indices", "gather_nd_batch1", "embedding_gather", "where_select",
    "where_select_float_io", "where_const_batch1", "reverse_batch1", "split_stack",
    "unstack_batch1", "strided_slice_newaxis", "pad_variants", "transpose_5d_batch1",
    # float islands the converter leaves (passes/float_islands.py): FLOOR / CEIL / ROUND,
    # SIN + COS, a DEQUANTIZE read by several, a float CONCATENATION before the QUANTIZE, an
    # island ending at a float32 output, Keras' ELU(alpha) as GREATER + SELECT_V2
    "math_floor", "math_floor_float_io", "math_ceil", "math_round", "math_sin_cos",
    "floor_ceil_shared", "float_concat_island",
]
HOST_SAMPLE = ["elu_conv", "math_floor_float_io", "float_concat_island", "floor_ceil_shared",
               "mha_mask_input_batch1", "group_norm", "efficientnet_lite_float_io",
               "transpose_5d_batch1"]

# TFLM's allocation fails (FILL's dims come from SHAPE); the graph passes fold them
BEYOND_TFLM = ["lstm_unrolled"]

_PLACEHOLDER = "placeholder for a dynamic dimension"
_FLOAT_ONLY = "takes float32 tensors only"
# name: (the op the refusal names, a phrase of its reason)
REFUSED = {
    # a Dense on a sequence with the dynamic batch: REDUCE_PROD shapes TFLM cannot allocate
    "dense_3d_dynamic": ("RESHAPE", _PLACEHOLDER),
    "reduce_prod": ("RESHAPE", _PLACEHOLDER),
    "argmax_int64_batch1": ("ARG_MAX", "int32 only"),      # tf.argmax's default int64
    # Keras' Embedding clamps the ids (int32 SELECT_V2 / SELECT): TFLM refuses both
    "embedding_flatten": ("SELECT_V2", "int32"),
    "embedding_flatten_float_io": ("SELECT_V2", "int32"),
    "embedding_conv1d_batch1": ("SELECT", "not supported"),
    "int_index_math_batch1": ("FLOOR_DIV", _FLOAT_ONLY),   # int32 // 4
    # the converter quantizes these to int8; TFLM's kernels are float-only
    "math_exp": ("EXP", _FLOAT_ONLY),
    "math_log": ("LOG", _FLOAT_ONLY),
    "math_sqrt": ("SQRT", _FLOAT_ONLY),
    # nearest UpSampling2D and tf.tile: TILE is not in TFLM's op resolver
    "upsample_nearest_batch1": ("TILE", "not supported"),
    "reverse_tile": ("TILE", "not supported"),
    # float islands that are not a function of one int8 tensor element by element (ADD_N of
    # three dequantized tensors, CUMSUM along an axis, comparisons of two dequantized
    # tensors): TFLM runs them in float32; tflm_py runs no float arithmetic. Known gaps.
    "add_n_mean": ("ADD_N", "float islands"),
    "cumsum_variants": ("CUMSUM", "float islands"),
    "comparisons_logical": ("GREATER", "float islands"),
}
# TFLM runs these (in float32)
TFLM_RUNS = {"add_n_mean", "cumsum_variants", "comparisons_logical"}


def _data(name):
    return (CORPUS / f"{name}.tflite").read_bytes()


def test_corpus_is_complete_and_small():
    names = sorted(p.stem for p in CORPUS.glob("*.tflite"))
    assert names == sorted(EXPECTED_TO_RUN + BEYOND_TFLM + list(REFUSED))
    sizes = [(CORPUS / f"{n}.tflite").stat().st_size for n in names]
    assert max(sizes) < 100_000 and sum(sizes) < 3_000_000
    for n in names:   # int8 I/O (or int32 token ids), float32 I/O for the _float_io ones
        m = load_model(_data(n))
        want = np.float32 if n.endswith("_float_io") else np.int8
        assert all(m.tensors[t].dtype in (want, np.int32) for t in m.inputs), n


@pytest.mark.parametrize("name", EXPECTED_TO_RUN)
def test_simulator_matches_tflm(name):
    model = load_model(_data(name))
    assert_simulator_matches_tflm(_data(name), model, _samples(model, seed=3), name)


def test_host_c_matches_simulator(tmp_path):
    models = [load_model(_data(n)) for n in HOST_SAMPLE]
    samples = [_samples(m, n=2, seed=4) for m in models]
    assert_host_c_matches_simulator(HOST_SAMPLE, models, samples, tmp_path)


@pytest.mark.parametrize("name", BEYOND_TFLM)
def test_beyond_tflm_matches_tflite_reference_kernels(name):
    assert_beyond_tflm_matches_reference(_data(name), load_model(_data(name)),
                                         CORPUS / f"{name}.ref.npz", name)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_cleanly_naming_the_op(name):
    model = load_model(_data(name))
    assert_refused(_data(name), model, *REFUSED[name], name in TFLM_RUNS,
                   _samples(model, n=1))
