"""Build the 16x8 converter-made corpus (tests/data/converted16/): small Keras 3 models shaped
like the ones people quantize 16x8 (audio enhancement encoders / decoders, keyword spotting,
residual and inverted-residual blocks, regressors, anomaly-detection autoencoders, recurrent
and attention layers, and a spread of activations, reductions and data movement), each
converted by TensorFlow's TFLiteConverter with
EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8 and a representative dataset.
Keras 3's dynamic batch is kept (no batch_size on the inputs), as users leave it.

    /work/tfvenv-b/bin/python scripts/make_keras_corpus16.py [--out DIR] [NAME...]

`NAME.tflite` has int16 inputs and outputs; `NAME_fio.tflite` (the models in FLOAT_IO) keeps
float32 inputs and outputs (QUANTIZE / DEQUANTIZE at the edges); `NAME_b1.tflite` (BATCH1,
BATCH1_ONLY) is built with a fixed batch of 1; `NAME_b32.tflite` (INT32_BIAS) with int32
biases, `NAME_pt.tflite` (PER_TENSOR) with one weight scale per tensor, `NAME_oq.tflite`
(OLD_QUANTIZER) by the converter's older quantizer, `NAME_ffb.tflite` (FLOAT_FALLBACK) with
float fallback for the ops the converter cannot quantize 16x8. Needs tensorflow-cpu (not a test dependency);
the .tflite files it writes are committed. Weights and representative data are random
(seeded): the models test the converter's graphs and the 16x8 arithmetic, not accuracy.
"""
from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from full_integer import configure  # noqa: E402

keras = tf.keras
L = keras.layers
_BATCH = [None]     # the batch dimension of every Input: None (dynamic) or 1 for the _b1 builds


def _input(shape, **kw):
    return keras.Input(shape, batch_size=_BATCH[0], **kw)


# -- audio enhancement (SEANet-like 1-D encoders / decoders) --------------------------------

def seanet_encoder():
    i = _input((64, 1))
    x = L.Conv1D(8, 7, padding="same")(i)
    for ch in (16, 32):
        r = L.LeakyReLU(0.2)(x)
        r = L.Conv1D(x.shape[-1], 3, padding="same")(r)
        r = L.LeakyReLU(0.2)(r)
        r = L.Conv1D(x.shape[-1], 1)(r)
        x = L.Add()([x, r])
        x = L.LeakyReLU(0.2)(x)
        x = L.Conv1D(ch, 4, strides=2, padding="same")(x)
    return keras.Model(i, L.Conv1D(8, 3, padding="same")(x))


def seanet_decoder():
    i = _input((16, 8))
    x = L.Conv1D(32, 7, padding="same")(i)
    for ch in (16, 8):
        x = L.LeakyReLU(0.2)(x)
        x = L.Conv1DTranspose(ch, 4, strides=2, padding="same")(x)
        r = L.LeakyReLU(0.2)(x)
        r = L.Conv1D(ch, 3, padding="same")(r)
        x = L.Add()([x, r])
    x = L.LeakyReLU(0.2)(x)
    return keras.Model(i, L.Activation("tanh")(L.Conv1D(1, 7, padding="same")(x)))


def seanet_dilated_res():
    """Dilated residual units (dilation 1, 3): with a dynamic batch the converter leaves
    SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND around the dilated convolution."""
    i = _input((48, 8))
    r = L.LeakyReLU(0.2)(i)
    r = L.Conv1D(8, 3, dilation_rate=3, padding="same")(r)
    return keras.Model(i, L.Add()([i, L.Conv1D(8, 1)(L.LeakyReLU(0.2)(r))]))


def unet1d_mask():
    """Waveform U-Net: strided encoder, transposed-conv decoder with skip concatenation, a
    sigmoid mask multiplied into the input."""
    i = _input((64, 1))
    e1 = L.Conv1D(8, 5, strides=2, padding="same", activation="relu")(i)
    e2 = L.Conv1D(16, 5, strides=2, padding="same", activation="relu")(e1)
    d1 = L.Conv1DTranspose(8, 4, strides=2, padding="same", activation="relu")(e2)
    d1 = L.Concatenate()([d1, e1])
    d0 = L.Conv1DTranspose(4, 4, strides=2, padding="same", activation="relu")(d1)
    m = L.Conv1D(1, 3, padding="same", activation="sigmoid")(d0)
    return keras.Model(i, L.Multiply()([i, m]))


def spectral_mask_lstm():
    """Spectral-mask enhancement: LSTM over frames of 16 bins, a sigmoid mask per bin."""
    i = _input((10, 16))
    x = L.LSTM(24, return_sequences=True, unroll=True)(i)
    m = L.Dense(16, activation="sigmoid")(x)
    return keras.Model(i, L.Multiply()([i, m]))


def conv_tasnet_like():
    """1x1 bottleneck, depthwise 1-D conv, residual, a ReLU mask (PReLU, as Conv-TasNet has it,
    the converter cannot quantize 16x8)."""
    i = _input((32, 12))
    x = L.Conv1D(16, 1, activation="relu")(i)
    y = L.DepthwiseConv1D(3, padding="same")(x)
    y = L.LeakyReLU(0.25)(y)
    x = L.Add()([x, L.Conv1D(16, 1)(y)])
    m = L.Conv1D(12, 1, activation="relu")(x)
    return keras.Model(i, L.Multiply()([i, m]))


def causal_tcn():
    i = _input((40, 4))
    x = L.Conv1D(8, 3, padding="causal", activation="relu")(i)
    x = L.Conv1D(8, 3, padding="causal", activation="relu")(x)
    return keras.Model(i, L.Dense(2)(L.GlobalAveragePooling1D()(x)))


# -- keyword spotting, residual and inverted-residual blocks ---------------------------------

def ds_cnn_kws():
    i = _input((25, 10, 1))
    x = L.Conv2D(16, (5, 3), strides=2, padding="same", use_bias=False)(i)
    x = L.ReLU()(L.BatchNormalization()(x))
    for _ in range(2):
        x = L.DepthwiseConv2D(3, padding="same", use_bias=False)(x)
        x = L.ReLU()(L.BatchNormalization()(x))
        x = L.Conv2D(16, 1, use_bias=False)(x)
        x = L.ReLU()(L.BatchNormalization()(x))
    x = L.GlobalAveragePooling2D()(x)
    return keras.Model(i, L.Softmax()(L.Dense(8)(x)))


def resnet_block():
    i = _input((12, 12, 4))
    x = L.Conv2D(8, 3, padding="same", activation="relu")(i)
    y = L.Conv2D(8, 3, strides=2, padding="same")(x)
    y = L.ReLU()(L.BatchNormalization()(y))
    y = L.BatchNormalization()(L.Conv2D(16, 3, padding="same")(y))
    s = L.Conv2D(16, 1, strides=2)(x)
    x = L.ReLU()(L.Add()([y, s]))
    x = L.AveragePooling2D(6)(x)
    return keras.Model(i, L.Dense(5)(L.Flatten()(x)))


def mobilenet_v2_block():
    i = _input((10, 10, 8))
    x = L.Conv2D(24, 1, use_bias=False)(i)
    x = L.ReLU(6.0)(L.BatchNormalization()(x))
    x = L.DepthwiseConv2D(3, padding="same", use_bias=False)(x)
    x = L.ReLU(6.0)(L.BatchNormalization()(x))
    x = L.BatchNormalization()(L.Conv2D(8, 1, use_bias=False)(x))
    x = L.Add()([i, x])
    x = L.DepthwiseConv2D(3, strides=2, padding="valid")(x)
    return keras.Model(i, L.GlobalAveragePooling2D()(x))


def mobilenet_v3_block():
    """Swish, a squeeze-and-excite with hard-sigmoid, depthwise 5x5 (the converter cannot
    quantize HARD_SWISH 16x8)."""
    i = _input((8, 8, 6))
    x = L.Conv2D(12, 1)(i)
    x = L.Activation("swish")(x)
    x = L.DepthwiseConv2D(5, padding="same")(x)
    s = L.GlobalAveragePooling2D(keepdims=True)(x)
    s = L.Conv2D(4, 1, activation="relu")(s)
    s = L.Conv2D(12, 1, activation="hard_sigmoid")(s)
    x = L.Multiply()([x, s])
    return keras.Model(i, L.Conv2D(6, 1)(x))


def depthwise_mult3():
    i = _input((9, 9, 2))
    x = L.DepthwiseConv2D(3, depth_multiplier=3, padding="same", activation="relu")(i)
    return keras.Model(i, L.DepthwiseConv2D((2, 3), strides=(1, 2), depth_multiplier=2)(x))


def spectrogram_cnn():
    """Time x frequency input, asymmetric kernels and strides, max pool, dense head."""
    i = _input((20, 16, 1))
    x = L.Conv2D(8, (3, 5), strides=(1, 2), padding="same", activation="relu")(i)
    x = L.MaxPooling2D((2, 2))(x)
    x = L.Conv2D(12, (3, 3), padding="valid", activation="relu")(x)
    x = L.Flatten()(x)
    return keras.Model(i, L.Dense(4, activation="sigmoid")(L.Dense(16, activation="relu")(x)))


def conv_autoencoder():
    i = _input((16, 16, 1))
    x = L.Conv2D(8, 3, strides=2, padding="same", activation="relu")(i)
    x = L.Conv2D(4, 3, strides=2, padding="same", activation="relu")(x)
    x = L.Conv2DTranspose(8, 3, strides=2, padding="same", activation="relu")(x)
    x = L.Conv2DTranspose(1, 3, strides=2, padding="same")(x)
    return keras.Model(i, x)


def conv_transpose_valid():
    i = _input((5, 5, 3))
    x = L.Conv2DTranspose(4, (3, 2), strides=(2, 1), padding="valid", use_bias=False)(i)
    return keras.Model(i, L.Conv2DTranspose(2, 2, strides=2, padding="valid")(x))


# -- dense models: regression, anomaly detection ---------------------------------------------

def dense_regressor():
    i = _input((20,))
    x = L.Dense(32, activation="tanh")(i)
    x = L.Dense(16, activation="relu")(x)
    return keras.Model(i, L.Dense(2)(x))


def dense_autoencoder():
    i = _input((40,))
    x = L.Dense(24, activation="relu")(i)
    x = L.Dense(6, activation="relu")(x)
    x = L.Dense(24, activation="relu")(x)
    return keras.Model(i, L.Dense(40)(x))


def anomaly_score():
    """Reconstruction error as the output: an autoencoder, squared difference, mean."""
    i = _input((32,))
    x = L.Dense(12, activation="relu")(i)
    x = L.Dense(32)(x)
    d = L.Subtract()([i, x])
    return keras.Model(i, L.Lambda(lambda t: tf.reduce_mean(t * t, axis=-1, keepdims=True))(d))


def dense_multi_io():
    a = _input((8,))
    b = _input((4,))
    x = L.Concatenate()([L.Dense(8, activation="relu")(a), b])
    y = L.Dense(6)(x)
    return keras.Model([a, b], [L.Dense(1)(y), L.Activation("sigmoid")(L.Dense(3)(y))])


# -- recurrent and attention -----------------------------------------------------------------

def lstm_sequence():
    i = _input((8, 6))
    return keras.Model(i, L.Dense(3)(L.LSTM(12, unroll=True)(i)))


def lstm_stacked():
    i = _input((6, 5))
    x = L.LSTM(10, return_sequences=True, unroll=True)(i)
    return keras.Model(i, L.LSTM(8, return_sequences=True, unroll=True)(x))


def lstm_unrolled():
    i = _input((5, 4))
    return keras.Model(i, L.LSTM(6, unroll=True)(i))


def gru_sequence():
    i = _input((6, 5))
    return keras.Model(i, L.GRU(8, return_sequences=True, unroll=True)(i))


def self_attention():
    """Single-head scaled dot-product attention written out: BATCH_MATMUL on activations."""
    i = _input((6, 8))
    q = L.Dense(8)(i)
    k = L.Dense(8)(i)
    v = L.Dense(8)(i)
    s = L.Lambda(lambda t: tf.matmul(t[0], t[1], transpose_b=True) * (8 ** -0.5))([q, k])
    a = L.Softmax(axis=-1)(s)
    o = L.Lambda(lambda t: tf.matmul(t[0], t[1]))([a, v])
    return keras.Model(i, L.Dense(8)(L.Add()([i, o])))


def mha_block():
    i = _input((5, 8))
    x = L.MultiHeadAttention(num_heads=2, key_dim=4)(i, i)
    return keras.Model(i, L.Dense(4)(L.GlobalAveragePooling1D()(L.Add()([i, x]))))


# -- activations -----------------------------------------------------------------------------

def activations_mix():
    i = _input((4, 4, 6))
    a = L.Activation("sigmoid")(i)
    b = L.Activation("tanh")(i)
    c = L.LeakyReLU(0.1)(i)
    d = L.ReLU(max_value=6.0)(i)
    e = L.ReLU()(i)
    return keras.Model(i, [a, b, c, d, e])


def leaky_relu_dense():
    i = _input((12,))
    x = L.LeakyReLU(0.3)(L.Dense(16)(i))
    return keras.Model(i, L.LeakyReLU(0.01)(L.Dense(6)(x)))


def softmax_sequence():
    i = _input((7, 5))
    x = L.Dense(10)(i)
    return keras.Model(i, L.Softmax(axis=-1)(x))


def gated_linear_unit():
    i = _input((16, 8))
    x = L.Conv1D(16, 3, padding="same")(i)
    a, g = L.Lambda(lambda t: tf.split(t, 2, axis=-1))(x)
    return keras.Model(i, L.Multiply()([a, L.Activation("sigmoid")(g)]))


# ops the converter cannot quantize 16x8: built with float fallback only (`_ffb`)

def hard_swish_conv():
    i = _input((6, 6, 4))
    x = L.Conv2D(8, 3, padding="same")(i)
    return keras.Model(i, L.Conv2D(4, 1)(L.Activation("hard_swish")(x)))


def elu_dense():
    i = _input((12,))
    return keras.Model(i, L.Dense(4)(L.ELU()(L.Dense(16)(i))))


def prelu_conv():
    i = _input((8, 8, 3))
    x = L.PReLU(shared_axes=[1, 2])(L.Conv2D(6, 3, padding="same")(i))
    return keras.Model(i, L.Conv2D(4, 3)(x))


def subpixel_upsample():
    i = _input((6, 6, 3))
    x = L.Conv2D(12, 3, padding="same")(i)
    return keras.Model(i, L.Conv2D(2, 1)(L.Lambda(lambda t: tf.nn.depth_to_space(t, 2))(x)))


# -- pooling and reductions ------------------------------------------------------------------

def pooling_mix():
    i = _input((12, 12, 4))
    x = L.MaxPooling2D(2)(i)
    x = L.AveragePooling2D(3, strides=1, padding="same")(x)
    x = L.MaxPooling2D(3, strides=2, padding="valid")(x)
    return keras.Model(i, L.AveragePooling2D(2)(x))


def mean_sum():
    i = _input((6, 5, 4))
    m = L.Lambda(lambda t: tf.reduce_mean(t, axis=[1, 2]))(i)
    s = L.Lambda(lambda t: tf.reduce_sum(t, axis=-1))(i)
    return keras.Model(i, [m, s])


def reduce_max_model():
    i = _input((6, 5, 4))
    return keras.Model(i, L.Lambda(lambda t: tf.reduce_max(t, axis=1))(i))


def global_pool_1d():
    i = _input((20, 6))
    x = L.Conv1D(8, 3, activation="relu")(i)
    x = L.MaxPooling1D(2)(x)
    return keras.Model(i, L.GlobalAveragePooling1D()(x))


# -- data movement ---------------------------------------------------------------------------

def concat_pad():
    i = _input((6, 6, 3))
    a = L.Conv2D(4, 3, padding="same")(i)
    b = L.Conv2D(2, 1)(i)
    x = L.Concatenate()([a, b, i])
    x = L.ZeroPadding2D(((1, 2), (0, 1)))(x)
    return keras.Model(i, L.Conv2D(3, 3)(x))


def pad_constant():
    i = _input((5, 7))
    x = L.Lambda(lambda t: tf.pad(t, [[0, 0], [2, 1], [0, 3]]))(i)
    return keras.Model(i, L.Dense(4)(x))


def resize_nearest():
    i = _input((4, 5, 3))
    x = L.Conv2D(4, 1)(i)
    return keras.Model(i, L.Lambda(lambda t: tf.image.resize(t, (8, 10), "nearest"))(x))


def resize_bilinear():
    i = _input((4, 4, 2))
    return keras.Model(i, L.Resizing(7, 6, interpolation="bilinear")(i))


def transpose_dense():
    i = _input((6, 10))
    x = L.Permute((2, 1))(i)
    x = L.Dense(5)(x)
    return keras.Model(i, L.Lambda(lambda t: tf.transpose(t, [0, 2, 1]))(x))


def strided_slice_model():
    i = _input((12, 8))
    a = L.Lambda(lambda t: t[:, ::2, 1:-1])(i)
    b = L.Lambda(lambda t: t[:, 3:9, ::3])(i)
    return keras.Model(i, [L.Dense(3)(a), b])


def split_branches():
    i = _input((8, 8, 6))
    a, b, c = L.Lambda(lambda t: tf.split(t, 3, axis=-1))(i)
    a = L.Conv2D(2, 3, padding="same")(a)
    b = L.DepthwiseConv2D(3, padding="same")(b)
    return keras.Model(i, L.Concatenate()([a, b, L.ReLU()(c)]))


def split_uneven():
    i = _input((10, 9))
    a, b = L.Lambda(lambda t: tf.split(t, [3, 6], axis=-1))(i)
    return keras.Model(i, [L.Dense(2)(a), L.Activation("tanh")(b)])


def gather_channels():
    i = _input((6, 8))
    x = L.Lambda(lambda t: tf.gather(t, [7, 0, 3, 3, 5], axis=-1))(i)
    return keras.Model(i, L.Dense(4)(x))


def unstack_stack():
    i = _input((3, 6))
    parts = L.Lambda(lambda t: tf.unstack(t, axis=1))(i)
    parts = [L.Dense(4)(p) for p in parts]
    return keras.Model(i, L.Lambda(lambda t: tf.stack(t, axis=1))(parts))


def reshape_flatten():
    i = _input((4, 6, 2))
    x = L.Conv2D(3, 1)(i)
    x = L.Reshape((8, 9))(x)
    x = L.Dense(4)(x)
    return keras.Model(i, L.Flatten()(x))


def squeeze_expand():
    i = _input((1, 10, 4))
    x = L.Lambda(lambda t: tf.squeeze(t, axis=1))(i)
    x = L.Conv1D(6, 3)(x)
    return keras.Model(i, L.Lambda(lambda t: tf.expand_dims(t, 2))(x))


# -- min / max, arithmetic (the 16x8 converter quantizes no comparison) ----------------------------------------------

def minimum_maximum():
    i = _input((4, 9))
    x = L.Dense(9)(i)
    return keras.Model(i, [L.Maximum()([i, x]), L.Minimum()([i, x])])


def broadcast_arith():
    i = _input((6, 4))
    w = L.Dense(4)(L.GlobalAveragePooling1D(keepdims=True)(i))
    return keras.Model(i, [L.Add()([i, w]), L.Subtract()([i, w]), L.Multiply()([i, w])])


def abs_neg():
    i = _input((10,))
    x = L.Dense(10)(i)
    return keras.Model(i, L.Lambda(lambda t: tf.abs(t) - t)(x))


def manual_norm():
    """Instance normalization written out: mean, squared difference, rsqrt."""
    i = _input((8, 6))
    m = L.Lambda(lambda t: tf.reduce_mean(t, axis=1, keepdims=True))(i)
    d = L.Subtract()([i, m])
    v = L.Lambda(lambda t: tf.reduce_mean(t * t, axis=1, keepdims=True))(d)
    return keras.Model(i, L.Lambda(lambda t: t[0] * tf.math.rsqrt(t[1] + 1e-3))([d, v]))


MODELS = {f.__name__: f for f in (
    seanet_encoder, seanet_decoder, seanet_dilated_res, unet1d_mask, spectral_mask_lstm,
    conv_tasnet_like, causal_tcn, ds_cnn_kws, resnet_block, mobilenet_v2_block,
    mobilenet_v3_block, depthwise_mult3, spectrogram_cnn, conv_autoencoder,
    conv_transpose_valid, dense_regressor, dense_autoencoder, anomaly_score,
    dense_multi_io, lstm_sequence, lstm_stacked, lstm_unrolled, gru_sequence, self_attention,
    mha_block, activations_mix, leaky_relu_dense, softmax_sequence,
    gated_linear_unit, pooling_mix, mean_sum, reduce_max_model, global_pool_1d, concat_pad,
    pad_constant, resize_nearest, resize_bilinear, transpose_dense, strided_slice_model,
    split_branches, split_uneven, gather_channels, unstack_stack, reshape_flatten,
    squeeze_expand, minimum_maximum, broadcast_arith, abs_neg, manual_norm, hard_swish_conv,
    elu_dense, prelu_conv, subpixel_upsample)}

# float32 inputs and outputs (QUANTIZE float32 -> int16 in, DEQUANTIZE int16 -> float32 out)
# (the 16x8 converter takes float32 or int16 inputs and outputs only)
FLOAT_IO = ("seanet_decoder", "ds_cnn_kws", "dense_regressor", "dense_autoencoder",
            "anomaly_score", "self_attention", "dense_multi_io", "lstm_sequence")
# also built with a fixed batch of 1 (`NAME_b1`): with a dynamic batch the converter leaves
# placeholder shapes behind reshapes (Dense on a sequence, softmax on rows, ...) and
# SPACE_TO_BATCH_ND around dilated convolutions
BATCH1 = ("seanet_dilated_res", "self_attention", "softmax_sequence", "strided_slice_model",
          "transpose_dense", "split_uneven", "pad_constant", "minimum_maximum",
          "broadcast_arith", "reshape_flatten", "lstm_unrolled")
# built with a fixed batch of 1 only: unrolled recurrent layers (TensorFlow's calibrator
# crashes on the fused UNIDIRECTIONAL_SEQUENCE_LSTM a Keras LSTM becomes; the unrolled cell
# with a dynamic batch starts from a FILL TFLM refuses, see lstm_unrolled)
BATCH1_ONLY = ("spectral_mask_lstm", "lstm_sequence", "lstm_stacked", "gru_sequence")
# converter options users set: int32 biases in place of int64 (`_b32`), one weight scale
# per tensor in place of per channel (`_pt`)
INT32_BIAS = ("seanet_encoder", "conv_autoencoder", "ds_cnn_kws", "dense_regressor",
              "depthwise_mult3")
# float fallback (TFLITE_BUILTINS beside the 16x8 ops set): ops the converter cannot quantize
# 16x8 stay in float32 between int16 DEQUANTIZE and QUANTIZE (`_ffb`, the only build)
FLOAT_FALLBACK = ("hard_swish_conv", "elu_dense", "prelu_conv", "subpixel_upsample")
# TensorFlow's older (TOCO-era) quantizer, experimental_new_quantizer=False (`_oq`)
OLD_QUANTIZER = ("ds_cnn_kws", "seanet_decoder", "unet1d_mask", "mha_block")
PER_TENSOR = ("seanet_decoder", "dense_autoencoder", "resnet_block")   # (depthwise: the
# converter fails on per-tensor DEPTHWISE_CONV_2D weights)


def convert(model, seed: int, io=None, option=None) -> bytes:
    rng = np.random.default_rng(seed)
    specs = model.inputs

    def one(s):
        shape = [int(d) if d is not None else 1 for d in s.shape]
        if "bool" in str(s.dtype):
            return rng.random(shape) < 0.5
        return rng.normal(0, 1, shape).astype(np.float32)

    def representative():
        for _ in range(48):
            yield [one(s) for s in specs]

    conv = configure(tf.lite.TFLiteConverter.from_keras_model(model), representative,
                     "int16", io)
    if option == "int32_bias":
        conv._experimental_full_integer_quantization_bias_type = tf.int32
    elif option == "per_tensor":
        conv._experimental_disable_per_channel = True
    elif option == "old_quantizer":
        conv.experimental_new_quantizer = False
    elif option == "float_fallback":
        conv.target_spec.supported_ops = [
            tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8,
            tf.lite.OpsSet.TFLITE_BUILTINS]
    return conv.convert()


def builds(name):
    """(file suffix, batch, io type, converter option) of each conversion of model `name`."""
    if name in FLOAT_FALLBACK:
        return [("_ffb", None, None, "float_fallback")]
    out = []
    if name not in BATCH1_ONLY:
        out.append(("", None, None, None))
    if name in BATCH1 or name in BATCH1_ONLY:
        out.append(("_b1", 1, None, None))
    if name in FLOAT_IO:
        b1 = name in BATCH1 or name in BATCH1_ONLY
        out.append(("_b1_fio" if b1 else "_fio", 1 if b1 else None, "float32", None))
    if name in INT32_BIAS:
        out.append(("_b32", None, None, "int32_bias"))
    if name in PER_TENSOR:
        out.append(("_pt", None, None, "per_tensor"))
    if name in OLD_QUANTIZER:
        out.append(("_oq", None, None, "old_quantizer"))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests",
                                                  "data", "converted16"))
    ap.add_argument("names", nargs="*")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    for name in args.names or list(MODELS):
        k = list(MODELS).index(name)
        for suffix, batch, io, option in builds(name):
            keras.utils.set_random_seed(1600 + k)
            _BATCH[0] = batch
            try:
                data = convert(MODELS[name](), 1600 + k, io, option)
            except Exception as e:  # one model the converter refuses must not stop the rest
                print(f"{name}{suffix}: conversion failed: {type(e).__name__}: "
                      f"{str(e)[:300]}", file=sys.stderr)
                continue
            with open(os.path.join(args.out, f"{name}{suffix}.tflite"), "wb") as f:
                f.write(data)
            print(f"{name}{suffix}: {len(data)} bytes", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
