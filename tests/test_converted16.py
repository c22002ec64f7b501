"""The 16x8 converter-made corpus (tests/data/converted16/, built by
scripts/make_keras_corpus16.py with TensorFlow's TFLiteConverter in
EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8 mode, Keras 3's dynamic batch, a
few `_b1` builds with a fixed batch of 1, `_fio` builds with float32 inputs and outputs,
`_b32` with int32 biases, `_pt` with per-tensor weights, `_oq` by the older quantizer,
`_ffb` with float fallback for ops the converter cannot quantize 16x8):
models shaped like users' 16x8 models (SEANet-style encoders / decoders, a waveform U-Net,
DS-CNN, residual and inverted-residual blocks, regressors, autoencoders, unrolled LSTM / GRU,
attention, activations, pooling, reductions and data movement).

Every model in EXPECTED_TO_RUN runs as TFLM runs it: simulator == TFLM on a few random inputs
(full-range and quarter-range int16), and the generated C (host, one build of every model)
== TFLM. Every model in REFUSED is refused by TFLM (fails to allocate or to invoke) and by
tflm_py with a one-line UnsupportedError naming the op and the reason (or, in TFLM_RUNS,
run by TFLM from misread memory)."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import ROOT
from converted_checks import assert_refused, assert_simulator_matches_tflm
from tflm_py import load_model
from tflm_py.hostbuild import run_host_many
from tflm_py.oracle import run_oracle
from tflm_py.reader import read_model
from tflm_py.sweep import random_inputs

CORPUS = ROOT / "tests" / "data" / "converted16"

EXPECTED_TO_RUN = [
    "abs_neg", "activations_mix", "anomaly_score", "anomaly_score_fio", "broadcast_arith_b1",
    "causal_tcn", "concat_pad", "conv_autoencoder", "conv_tasnet_like", "conv_transpose_valid",
    "dense_autoencoder", "dense_autoencoder_fio", "dense_multi_io", "dense_regressor",
    "dense_regressor_fio", "depthwise_mult3", "ds_cnn_kws", "ds_cnn_kws_fio",
    "gated_linear_unit", "global_pool_1d", "gru_sequence_b1", "leaky_relu_dense",
    "lstm_sequence_b1", "lstm_sequence_b1_fio", "lstm_stacked_b1", "lstm_unrolled_b1",
    "manual_norm", "mean_sum", "mha_block", "minimum_maximum_b1", "mobilenet_v2_block",
    "mobilenet_v3_block", "pad_constant_b1", "pooling_mix", "reshape_flatten_b1",
    "resize_nearest", "resnet_block", "seanet_decoder", "seanet_decoder_fio",
    "seanet_dilated_res_b1", "seanet_encoder", "self_attention_b1", "self_attention_b1_fio",
    "softmax_sequence_b1", "spectral_mask_lstm_b1", "spectrogram_cnn", "split_branches",
    "split_uneven_b1", "squeeze_expand", "strided_slice_model_b1", "transpose_dense_b1",
    "unet1d_mask", "unstack_stack",
    # converter options: int32 biases (all-zero ones dropped, quantized_bias_type INT32 left
    # in the options), per-tensor weights
    "conv_autoencoder_b32", "dense_regressor_b32", "seanet_encoder_b32",
    "dense_autoencoder_pt", "resnet_block_pt", "seanet_decoder_pt",
    # the converter's older quantizer (experimental_new_quantizer=False)
    "ds_cnn_kws_oq", "mha_block_oq", "seanet_decoder_oq", "unet1d_mask_oq",
    # float fallback: HARD_SWISH / ELU float32 islands between int16 ends become one int16
    # table (passes/float_islands.py); DEPTH_TO_SPACE runs in float32 as TFLM runs it
    "elu_dense_ffb", "hard_swish_conv_ffb", "subpixel_upsample_ffb",
]

# a dynamic reshape's [1, 1] placeholder shape: TFLM has no REDUCE_PROD and fails to allocate
_PLACEHOLDER = ("RESHAPE", "placeholder for a dynamic dimension")
# name: (the op the refusal names, a phrase of its reason)
REFUSED = {
    "broadcast_arith": _PLACEHOLDER,
    "gather_channels": ("GATHER", "INT16"),   # TFLM's GATHER: float32 / int8
    # the zero initial state folds to a tensor of scale 0 (TFLM fails earlier, at FILL)
    "lstm_unrolled": ("FULLY_CONNECTED", "scale"),
    "minimum_maximum": _PLACEHOLDER,
    "pad_constant": _PLACEHOLDER,
    "reduce_max_model": ("REDUCE_MAX", "INT16"),   # TFLM's REDUCE_MAX: int8 / float32
    "reshape_flatten": _PLACEHOLDER,
    "resize_bilinear": ("RESIZE_BILINEAR", "int16"),   # TFLM's: int8 / float32
    # a dilated conv with a dynamic batch keeps SPACE_TO_BATCH_ND (int8 / float32 in TFLM)
    "seanet_dilated_res": ("SPACE_TO_BATCH_ND", "INT16"),
    "self_attention": _PLACEHOLDER,
    "softmax_sequence": _PLACEHOLDER,
    "split_uneven": _PLACEHOLDER,
    "strided_slice_model": _PLACEHOLDER,
    "transpose_dense": _PLACEHOLDER,
    # TFLM's 16x8 DEPTHWISE_CONV_2D reads any bias as int64: an int32 one gives garbage
    "depthwise_mult3_b32": ("DEPTHWISE_CONV_2D", "int64"),
    "ds_cnn_kws_b32": ("DEPTHWISE_CONV_2D", "int64"),
    # a float32 PRELU island (its alpha a second input): TFLM runs it in float; tflm_py runs
    # float islands only when elementwise of one input. Known gap.
    "prelu_conv_ffb": ("PRELU", "float islands"),
}
# TFLM runs these without an error (on misread memory, or in float32; see above)
TFLM_RUNS = {"depthwise_mult3_b32", "ds_cnn_kws_b32", "prelu_conv_ffb"}


def _data(name):
    return (CORPUS / f"{name}.tflite").read_bytes()


def _samples(model, seed, n=3):
    """n random inputs: the first over the whole int16 range (saturating the edges), the
    others over a quarter of it (what calibrated features look like)."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        xs = random_inputs(model, rng)
        if k:
            xs = [x // 4 if x.dtype == np.int16 else x / 4 for x in xs]
        out.append(xs)
    return out


def _seed(name):
    return sum(name.encode())


def test_corpus_is_complete_and_small():
    names = sorted(p.stem for p in CORPUS.glob("*.tflite"))
    assert names == sorted(EXPECTED_TO_RUN + list(REFUSED))
    assert len(EXPECTED_TO_RUN) >= 40
    sizes = [(CORPUS / f"{n}.tflite").stat().st_size for n in names]
    assert max(sizes) < 100_000 and sum(sizes) < 2_000_000
    for n in names:    # int16 I/O, float32 I/O for the _fio builds; int16 activations inside
        m = load_model(_data(n))
        want = np.float32 if n.endswith("_fio") else np.int16
        assert all(m.tensors[t].dtype == want for t in m.inputs + m.outputs), n
        assert any(t.dtype == np.int16 for t in m.tensors), n
        if n.endswith("_ffb"):     # float32 ops inside
            assert any(t.dtype == np.float32 for t in read_model(_data(n)).tensors), n


@pytest.mark.parametrize("name", EXPECTED_TO_RUN)
def test_simulator_matches_tflm(name):
    model = load_model(_data(name))
    outs = assert_simulator_matches_tflm(_data(name), model, _samples(model, _seed(name)), name)
    heads = [w[:64] for w in outs]
    distinct = set(np.concatenate(heads).tolist())
    assert len(distinct) >= min(5, sum(h.size for h in heads)), name   # not a constant


def test_host_c_matches_tflm(tmp_path):
    """Every model that runs, in one host build: generated C == TFLM."""
    models = [load_model(_data(n)) for n in EXPECTED_TO_RUN]
    samples = [_samples(m, _seed(n) + 1, n=2) for n, m in zip(EXPECTED_TO_RUN, models)]
    outs = run_host_many(models, samples, work_dir=tmp_path)
    for name, m, smp, c_out in zip(EXPECTED_TO_RUN, models, samples, outs):
        for want, c in zip(run_oracle(m.data, smp), c_out):
            for w, h in zip(want, c):
                assert np.array_equal(np.asarray(w).reshape(-1),
                                      np.asarray(h).reshape(-1)), name


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_like_tflm(name):
    model = load_model(_data(name))
    assert_refused(_data(name), model, *REFUSED[name], name in TFLM_RUNS,
                   _samples(model, 0, n=1))
