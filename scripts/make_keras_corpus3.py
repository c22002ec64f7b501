"""Build the third converter-made corpus (tests/data/converted3/): small Keras 3 models shaped
like the ones users convert (EfficientNet-lite and MobileNetV3 blocks, squeeze-excite, CRNN and
recurrent layers, TCN, attention with masks, normalizations, encoders/decoders) and the tf.*
ops the first two corpora (make_keras_corpus.py, make_keras_corpus2.py) do not hold (math,
indexing, selection, comparisons, resizing, data movement). Each is converted by TensorFlow's
TFLiteConverter full-integer int8 with int8 I/O (`NAME.tflite`); those in FLOAT_IO a second
time with the converter's float32 interface (`NAME_float_io.tflite`).

    /work/tfvenv-a/bin/python scripts/make_keras_corpus3.py [--out DIR] [NAME...]

Needs tensorflow-cpu (not a test dependency); the .tflite files it writes are committed.
Keras' default dynamic batch unless the name ends in `_batch1`. Weights and representative data
are random (seeded). Each conversion runs in its own process: the converter's calibration can
crash (a segfault) on some graphs, and one such model must not stop the rest.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

tf = keras = L = None   # imported in the worker (the parent only starts processes)


# --- architectures ---------------------------------------------------------------------------

def _mbconv(x, expand, out, stride, act="relu6", se=False):
    c = x.shape[-1]
    y = L.Conv2D(c * expand, 1, use_bias=False)(x)
    y = L.BatchNormalization()(y)
    y = L.Activation(act)(y)
    y = L.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)(y)
    y = L.BatchNormalization()(y)
    y = L.Activation(act)(y)
    if se:
        s = L.GlobalAveragePooling2D(keepdims=True)(y)
        s = L.Conv2D(max(2, c // 2), 1, activation="relu")(s)
        s = L.Conv2D(c * expand, 1, activation="hard_sigmoid")(s)
        y = L.Multiply()([y, s])
    y = L.Conv2D(out, 1, use_bias=False)(y)
    y = L.BatchNormalization()(y)
    if stride == 1 and c == out:
        y = L.Add()([x, y])
    return y


def efficientnet_lite():
    i = keras.Input((16, 16, 3))
    x = L.Conv2D(8, 3, strides=2, padding="same", activation="relu6")(i)
    x = _mbconv(x, 1, 8, 1)
    x = _mbconv(x, 4, 12, 2)
    x = _mbconv(x, 4, 12, 1)
    x = L.Conv2D(24, 1, activation="relu6")(x)
    x = L.GlobalAveragePooling2D()(x)
    return keras.Model(i, L.Dense(5, activation="softmax")(x))


def mobilenet_v3_block():
    i = keras.Input((12, 12, 4))
    x = L.Conv2D(8, 3, padding="same", activation="hard_swish")(i)
    x = _mbconv(x, 3, 8, 1, act="hard_swish", se=True)
    x = _mbconv(x, 3, 10, 2, act="relu", se=True)
    return keras.Model(i, L.GlobalAveragePooling2D()(x))


def squeeze_excite():
    """The classic SE block: GlobalAveragePooling2D -> Dense -> Dense(sigmoid) -> Reshape ->
    Multiply (a dynamic-batch Reshape)."""
    i = keras.Input((8, 8, 6))
    x = L.Conv2D(6, 3, padding="same", activation="relu")(i)
    s = L.GlobalAveragePooling2D()(x)
    s = L.Dense(3, activation="relu")(s)
    s = L.Dense(6, activation="sigmoid")(s)
    s = L.Reshape((1, 1, 6))(s)
    return keras.Model(i, L.Multiply()([x, s]))


def resnet_downsample():
    i = keras.Input((16, 16, 3))
    x = L.Conv2D(8, 3, padding="same", activation="relu")(i)
    y = L.Conv2D(12, 3, strides=2, padding="same", activation="relu")(x)
    y = L.Conv2D(12, 3, padding="same")(y)
    s = L.Conv2D(12, 1, strides=2)(x)
    x = L.ReLU()(L.Add()([y, s]))
    x = L.AveragePooling2D(2)(x)
    return keras.Model(i, L.Dense(4)(L.Flatten()(x)))


def kws_cnn():
    """A keyword-spotting CNN on a (49, 10) MFCC map: strided conv, BN, dropout, pooling."""
    i = keras.Input((49, 10, 1))
    x = L.Conv2D(16, (10, 4), strides=(2, 2), padding="same", use_bias=False)(i)
    x = L.BatchNormalization()(x)
    x = L.ReLU()(x)
    x = L.Dropout(0.2)(x)
    x = L.Conv2D(16, 3, padding="same", activation="relu")(x)
    x = L.MaxPooling2D((2, 1))(x)
    x = L.GlobalAveragePooling2D()(x)
    return keras.Model(i, L.Dense(6, activation="softmax")(x))


def audio_conv1d():
    i = keras.Input((64, 2))
    x = L.Conv1D(8, 5, strides=2, padding="same", activation="relu")(i)
    x = L.MaxPooling1D(2)(x)
    x = L.Conv1D(12, 3, strides=2, activation="relu")(x)
    x = L.GlobalMaxPooling1D()(x)
    return keras.Model(i, L.Dense(3)(x))


def tcn_batch1():
    """A temporal conv net: causal dilated Conv1D residual blocks (batch 1)."""
    i = keras.Input((24, 3), batch_size=1)
    x = L.Conv1D(6, 1)(i)
    for d in (1, 2, 4):
        y = L.Conv1D(6, 3, padding="causal", dilation_rate=d, activation="relu")(x)
        x = L.Add()([x, y])
    return keras.Model(i, L.Dense(2)(L.Lambda(lambda t: t[:, -1, :])(x)))


def crnn_batch1():
    """Conv2D -> reshape to a sequence -> unrolled GRU -> Dense."""
    i = keras.Input((16, 8, 1), batch_size=1)
    x = L.Conv2D(4, 3, padding="same", activation="relu")(i)
    x = L.MaxPooling2D((1, 2))(x)
    x = L.Reshape((16, 16))(x)
    x = L.GRU(6, unroll=True)(x)
    return keras.Model(i, L.Dense(3, activation="softmax")(x))


def lstm_unrolled():
    i = keras.Input((5, 4))
    return keras.Model(i, L.LSTM(6, unroll=True)(i))


def lstm_unrolled_batch1():
    i = keras.Input((5, 4), batch_size=1)
    return keras.Model(i, L.Dense(2)(L.LSTM(6, unroll=True)(i)))


def lstm_sequences_batch1():
    i = keras.Input((4, 3), batch_size=1)
    x = L.LSTM(5, unroll=True, return_sequences=True)(i)
    return keras.Model(i, L.TimeDistributed(L.Dense(2))(x))


def gru_sequences_batch1():
    i = keras.Input((5, 3), batch_size=1)
    x = L.GRU(4, unroll=True, return_sequences=True, reset_after=False)(i)
    return keras.Model(i, x)


def simple_rnn_stacked_batch1():
    i = keras.Input((6, 3), batch_size=1)
    x = L.SimpleRNN(5, unroll=True, return_sequences=True)(i)
    x = L.SimpleRNN(4, unroll=True, activation="relu")(x)
    return keras.Model(i, x)


def mha_causal_batch1():
    i = keras.Input((6, 8), batch_size=1)
    a = L.MultiHeadAttention(num_heads=2, key_dim=4)(i, i, use_causal_mask=True)
    return keras.Model(i, L.LayerNormalization()(L.Add()([i, a])))


def mha_mask_input_batch1():
    """Attention with a padding mask given as a second (float 0/1) input."""
    x = keras.Input((5, 8), batch_size=1, name="a_tokens")
    m = keras.Input((5,), batch_size=1, name="b_mask")
    mask = L.Lambda(lambda t: tf.cast(t[:, None, :] > 0.5, tf.bool))(m)
    a = L.MultiHeadAttention(num_heads=1, key_dim=8)(x, x, attention_mask=mask)
    return keras.Model([x, m], a)


def transformer_encoder_batch1():
    i = keras.Input((8, 12), batch_size=1)
    a = L.MultiHeadAttention(num_heads=2, key_dim=6)(i, i)
    x = L.LayerNormalization(epsilon=1e-6)(L.Add()([i, a]))
    f = L.Dense(16, activation="relu")(x)
    f = L.Dense(12)(f)
    x = L.LayerNormalization(epsilon=1e-6)(L.Add()([x, f]))
    x = L.GlobalAveragePooling1D()(x)
    return keras.Model(i, L.Dense(3)(x))


def einsum_attention_batch1():
    q = keras.Input((4, 6), batch_size=1, name="a_q")
    k = keras.Input((5, 6), batch_size=1, name="b_k")
    s = L.Lambda(lambda t: tf.matmul(t[0], t[1], transpose_b=True) * 0.4)([q, k])
    w = L.Softmax()(s)
    return keras.Model([q, k], L.Lambda(lambda t: tf.matmul(t[0], t[1]))([w, k]))


def group_norm():
    i = keras.Input((6, 6, 8))
    x = L.Conv2D(8, 3, padding="same")(i)
    return keras.Model(i, L.GroupNormalization(groups=2)(x))


def group_norm_batch1():
    i = keras.Input((6, 6, 8), batch_size=1)
    x = L.Conv2D(8, 3, padding="same")(i)
    return keras.Model(i, L.GroupNormalization(groups=4)(x))


def layer_norm_conv_batch1():
    i = keras.Input((5, 5, 6), batch_size=1)
    x = L.Conv2D(6, 1)(i)
    return keras.Model(i, L.LayerNormalization(axis=-1, center=False)(x))


def depthwise_mult3_dilated_batch1():
    i = keras.Input((12, 12, 2), batch_size=1)
    x = L.DepthwiseConv2D(3, depth_multiplier=3, dilation_rate=2, padding="same")(i)
    return keras.Model(i, L.DepthwiseConv2D(3, depth_multiplier=2, activation="relu")(x))


def separable_dilated_batch1():
    i = keras.Input((10, 10, 3), batch_size=1)
    x = L.SeparableConv2D(6, 3, dilation_rate=2, padding="same", depth_multiplier=2)(i)
    return keras.Model(i, L.SeparableConv1D(4, 3)(L.Reshape((100, 6))(x)))


def conv_transpose_strided():
    i = keras.Input((5, 5, 4))
    a = L.Conv2DTranspose(3, 3, strides=2, padding="valid", activation="relu")(i)
    b = L.Conv2DTranspose(3, 4, strides=2, padding="same", use_bias=False)(i)
    return keras.Model(i, [a, b])


def unet_tiny():
    i = keras.Input((16, 16, 1))
    c1 = L.Conv2D(4, 3, padding="same", activation="relu")(i)
    p1 = L.MaxPooling2D()(c1)
    c2 = L.Conv2D(8, 3, padding="same", activation="relu")(p1)
    u1 = L.Conv2DTranspose(4, 2, strides=2, padding="same")(c2)
    x = L.Concatenate()([u1, c1])
    x = L.Conv2D(4, 3, padding="same", activation="relu")(x)
    return keras.Model(i, L.Conv2D(1, 1, activation="sigmoid")(x))


def autoencoder():
    i = keras.Input((12,))
    x = L.Dense(32, activation="relu")(i)
    x = L.Reshape((4, 4, 2))(x)
    x = L.Conv2DTranspose(4, 3, strides=2, padding="same", activation="relu")(x)
    x = L.UpSampling2D(2, interpolation="bilinear")(x)
    return keras.Model(i, L.Conv2D(1, 3, padding="same", activation="tanh")(x))


def espcn_batch1():
    """Sub-pixel super-resolution: conv -> depth_to_space(3)."""
    i = keras.Input((6, 6, 1), batch_size=1)
    x = L.Conv2D(8, 3, padding="same", activation="tanh")(i)
    x = L.Conv2D(9, 3, padding="same")(x)
    return keras.Model(i, L.Lambda(lambda t: tf.nn.depth_to_space(t, 3))(x))


def space_to_depth_stem():
    i = keras.Input((8, 8, 3))
    x = L.Lambda(lambda t: tf.nn.space_to_depth(t, 2))(i)
    return keras.Model(i, L.Conv2D(6, 3, padding="same", activation="relu")(x))


def upsample_variants():
    i = keras.Input((4, 5, 3))
    x = L.Conv2D(3, 1)(i)
    a = L.UpSampling2D((2, 2), interpolation="bilinear")(x)
    b = L.UpSampling2D((3, 2), interpolation="bilinear")(x)
    c = L.Lambda(lambda t: tf.image.resize(t, (7, 9), method="bilinear"))(x)
    d = L.Lambda(lambda t: tf.image.resize(t, (3, 3), method="nearest"))(x)
    return keras.Model(i, [a, b, c, d])


def upsample_nearest_batch1():
    """Keras' nearest UpSampling2D becomes TILE, which TFLM does not have."""
    i = keras.Input((3, 4, 2), batch_size=1)
    x = L.Conv2D(2, 1)(i)
    return keras.Model(i, L.UpSampling2D(2, interpolation="nearest")(x))


def crop_pad_1d_2d():
    i = keras.Input((10, 8, 2))
    x = L.Cropping2D(((1, 2), (0, 3)))(i)
    x = L.ZeroPadding2D(((2, 0), (1, 1)))(x)
    x = L.Conv2D(3, 3)(x)
    y = L.Reshape((7 * 5, 3))(x)
    y = L.Cropping1D((2, 3))(y)
    return keras.Model(i, L.ZeroPadding1D(2)(y))


def siamese_distance():
    a = keras.Input((10,), name="a_left")
    b = keras.Input((10,), name="b_right")
    enc = keras.Sequential([L.Dense(8, activation="relu"), L.Dense(6)])
    d = L.Lambda(lambda t: tf.abs(t[0] - t[1]))([enc(a), enc(b)])
    return keras.Model([a, b], L.Dense(1, activation="sigmoid")(d))


def multi_head_outputs():
    i = keras.Input((8, 8, 3))
    x = L.Conv2D(8, 3, strides=2, activation="relu")(i)
    x = L.GlobalAveragePooling2D()(x)
    cls = L.Dense(4, activation="softmax")(x)
    box = L.Dense(4, activation="sigmoid")(x)
    reg = L.Dense(1)(x)
    return keras.Model(i, [cls, box, reg])


def dense_3d_dynamic():
    """Dense on a (batch, 6, 5) sequence with the dynamic batch (FULLY_CONNECTED, 3-D out)."""
    i = keras.Input((6, 5))
    x = L.Dense(7, activation="relu")(i)
    return keras.Model(i, L.Dense(3)(x))


# --- activations ---------------------------------------------------------------------------

def activations_mix():
    i = keras.Input((16,))
    x = L.Dense(16)(i)
    a = L.Activation("hard_swish")(x)
    b = L.Activation("tanh")(x)
    c = L.Activation("sigmoid")(x)
    d = L.Lambda(lambda t: t * tf.nn.relu6(t + 3.0) / 6.0)(x)
    return keras.Model(i, [a, b, c, d])


def elu_conv():
    i = keras.Input((6, 6, 2))
    x = L.Conv2D(4, 3, activation="elu")(i)
    return keras.Model(i, L.ELU(alpha=0.5)(L.Conv2D(3, 1)(x)))


def prelu_shared():
    i = keras.Input((6, 6, 3))
    x = L.Conv2D(4, 3)(i)
    a = L.PReLU(shared_axes=[1, 2])(x)
    return keras.Model(i, L.PReLU(alpha_initializer=keras.initializers.Constant(0.2))(a))


def softmax_axes_batch1():
    i = keras.Input((4, 5, 6), batch_size=1)
    x = L.Conv2D(6, 1)(i)
    a = L.Softmax(axis=-1)(x)
    b = L.Lambda(lambda t: tf.nn.softmax(t * 2.0, axis=2))(x)
    c = L.Lambda(lambda t: tf.nn.log_softmax(t, axis=-1))(x)
    return keras.Model(i, [a, b, c])


def log_softmax_3d():
    i = keras.Input((5, 7), batch_size=1)
    x = L.Dense(7)(i)
    return keras.Model(i, L.Lambda(lambda t: tf.nn.log_softmax(t, axis=-1))(x))


def l2_normalize_axes():
    i = keras.Input((4, 6), batch_size=1)
    x = L.Dense(6)(i)
    a = L.Lambda(lambda t: tf.math.l2_normalize(t, axis=-1))(x)
    b = L.UnitNormalization(axis=-1)(L.Dense(5)(i))
    return keras.Model(i, [a, b])


# --- tf.math ---------------------------------------------------------------------------------

def _unary(fn, pre=None):
    def build():
        i = keras.Input((12,))
        x = L.Dense(12)(i)
        if pre is not None:
            x = L.Lambda(pre)(x)
        return keras.Model(i, L.Lambda(fn)(x))
    return build


def math_abs_neg_square():
    i = keras.Input((12,))
    x = L.Dense(12)(i)
    return keras.Model(i, [L.Lambda(tf.abs)(x), L.Lambda(lambda t: -t)(x),
                           L.Lambda(tf.square)(x)])


def squared_difference():
    a = keras.Input((3, 4), name="a_x")
    b = keras.Input((3, 4), name="b_y")
    d = L.Lambda(lambda t: tf.math.squared_difference(t[0], t[1]))([a, b])
    return keras.Model([a, b], L.Lambda(lambda t: tf.reduce_sum(t, -1))(d))


def div_by_norm():
    i = keras.Input((8,))
    x = L.Dense(8)(i)
    y = L.Dense(8)(i)
    return keras.Model(i, L.Lambda(lambda t: t[0] / (tf.abs(t[1]) + 1.0))([x, y]))


def floor_ceil_shared():
    """One DEQUANTIZE read by FLOOR and CEIL (float islands sharing their start)."""
    i = keras.Input((10,))
    x = L.Dense(10)(i)
    return keras.Model(i, [L.Lambda(tf.floor)(x * 3.0), L.Lambda(tf.math.ceil)(x * 3.0)])


def float_concat_island():
    """Float ops whose results meet in a CONCATENATION before the QUANTIZE."""
    i = keras.Input((6,))
    x = L.Dense(6)(i) * 4.0
    f = L.Lambda(tf.floor)(x)
    r = L.Lambda(tf.round)(x)
    return keras.Model(i, L.Dense(3)(L.Concatenate()([f, r])))


def cumsum_variants():
    i = keras.Input((6, 5), batch_size=1)
    x = L.Dense(5)(i)
    a = L.Lambda(lambda t: tf.math.cumsum(t, axis=1))(x)
    b = L.Lambda(lambda t: tf.math.cumsum(t, axis=-1, exclusive=True, reverse=True))(x)
    return keras.Model(i, [a, b])


def reduce_variants():
    i = keras.Input((4, 5, 3))
    x = L.Conv2D(3, 1)(i)
    a = L.Lambda(lambda t: tf.reduce_max(t, axis=[1, 2], keepdims=True))(x)
    b = L.Lambda(lambda t: tf.reduce_min(t, axis=1))(x)
    c = L.Lambda(lambda t: tf.reduce_sum(t, axis=[1, 2]))(x)
    d = L.Lambda(lambda t: tf.reduce_mean(t, axis=-1, keepdims=True))(x)
    return keras.Model(i, [a, b, c, d])


def reduce_prod():
    i = keras.Input((4, 3))
    x = L.Dense(3, activation="sigmoid")(i)
    return keras.Model(i, L.Lambda(lambda t: tf.reduce_prod(t, axis=1))(x))


def arg_min_max_batch1():
    i = keras.Input((5, 6), batch_size=1)
    x = L.Dense(6)(i)
    a = L.Lambda(lambda t: tf.argmax(t, axis=1, output_type=tf.int32))(x)
    b = L.Lambda(lambda t: tf.argmin(t, axis=-1, output_type=tf.int32))(x)
    return keras.Model(i, [a, b])


def argmax_int64_batch1():
    """tf.argmax's default int64 output, which TFLM's ARG_MAX does not write."""
    i = keras.Input((6,), batch_size=1)
    return keras.Model(i, L.Lambda(lambda t: tf.argmax(t, axis=-1))(L.Dense(6)(i)))


def embedding_gather():
    """An embedding table looked up by tf.gather (Keras' Embedding clamps ids with an int32
    SELECT_V2, which TFLM refuses): GATHER of an int8 constant by int32 ids."""
    i = keras.Input((5,), dtype="int32", batch_size=1)
    table = np.random.default_rng(7).normal(0, 1, (50, 4)).astype(np.float32)
    x = L.Lambda(lambda t: tf.gather(tf.constant(table), t), output_shape=(5, 4))(i)
    return keras.Model(i, L.Dense(3)(L.Flatten()(x)))


def argmax_dynamic():
    i = keras.Input((8,))
    x = L.Dense(5)(i)
    return keras.Model(i, L.Lambda(lambda t: tf.argmax(t, axis=-1, output_type=tf.int32))(x))


def gather_const_indices():
    i = keras.Input((6, 5), batch_size=1)
    x = L.Dense(5)(i)
    a = L.Lambda(lambda t: tf.gather(t, [4, 0, 2, 2], axis=1))(x)
    b = L.Lambda(lambda t: tf.gather(t, [3, 1], axis=-1))(x)
    return keras.Model(i, [a, b])


def gather_nd_batch1():
    i = keras.Input((4, 5), batch_size=1)
    x = L.Dense(5)(i)
    return keras.Model(i, L.Lambda(lambda t: tf.gather_nd(t, [[0, 1], [0, 3], [0, 0]]))(x))


def embedding_flatten():
    i = keras.Input((6,), dtype="int32")
    x = L.Embedding(50, 4)(i)
    x = L.Flatten()(x)
    return keras.Model(i, L.Dense(3)(x))


def embedding_conv1d_batch1():
    i = keras.Input((10,), dtype="int32", batch_size=1)
    x = L.Embedding(60, 6)(i)
    x = L.Conv1D(8, 3, activation="relu")(x)
    return keras.Model(i, L.Dense(2)(L.GlobalMaxPooling1D()(x)))


def where_select():
    i = keras.Input((10,))
    x = L.Dense(10)(i)
    y = L.Dense(10)(i)
    return keras.Model(i, L.Lambda(lambda t: tf.where(t[0] > t[1], t[0], t[1] * 0.5))([x, y]))


def where_const_batch1():
    i = keras.Input((3, 4), batch_size=1)
    x = L.Dense(4)(i)
    return keras.Model(i, L.Lambda(lambda t: tf.where(t < 0.0, tf.zeros_like(t), t))(x))


def comparisons_logical():
    i = keras.Input((8,))
    x = L.Dense(8)(i)
    y = L.Dense(8)(i)

    def f(t):
        a, b = t
        m = tf.logical_or(tf.logical_and(a > 0.0, b <= 0.3), tf.logical_not(tf.equal(a, b)))
        n = tf.logical_and(a >= b, tf.not_equal(b, 0.0))
        return tf.cast(m, tf.float32) * a + tf.cast(n, tf.float32) * b + \
            tf.cast(a < -0.5, tf.float32)
    return keras.Model(i, L.Lambda(f)([x, y]))


def min_max_clip():
    i = keras.Input((4, 4, 3))
    x = L.Conv2D(3, 1)(i)
    a = L.Lambda(lambda t: tf.minimum(tf.maximum(t, -0.25), 0.75))(x)
    b = L.Lambda(lambda t: tf.maximum(t, tf.reduce_mean(t, axis=[1, 2], keepdims=True)))(x)
    return keras.Model(i, [a, b])


def reverse_tile():
    i = keras.Input((3, 4, 2))
    x = L.Conv2D(2, 1)(i)
    a = L.Lambda(lambda t: tf.reverse(t, axis=[1, 2]))(x)
    b = L.Lambda(lambda t: tf.tile(t, [1, 2, 1, 3]))(x)
    return keras.Model(i, [a, b])


def reverse_batch1():
    i = keras.Input((3, 4, 2), batch_size=1)
    x = L.Conv2D(2, 1)(i)
    return keras.Model(i, L.Lambda(lambda t: tf.reverse(t, axis=[-1]))(x))


def split_stack():
    i = keras.Input((4, 6), batch_size=1)
    x = L.Dense(6)(i)
    a, b, c = L.Lambda(lambda t: tf.split(t, 3, axis=-1))(x)
    d, e = L.Lambda(lambda t: tf.split(t, [1, 3], axis=1))(x)
    s = L.Lambda(lambda t: tf.stack(t, axis=1))([a, c])
    return keras.Model(i, [s, L.Add()([a, b]), d, e])


def unstack_batch1():
    i = keras.Input((3, 5), batch_size=1)
    x = L.Dense(5)(i)
    parts = L.Lambda(lambda t: tf.unstack(t, axis=1))(x)
    m = L.Maximum()(parts)
    return keras.Model(i, [m, L.Lambda(lambda t: tf.stack(t, axis=-1))(parts)])


def strided_slice_newaxis():
    i = keras.Input((6, 8), batch_size=1)
    x = L.Dense(8)(i)
    a = L.Lambda(lambda t: t[:, 2, :])(x)
    b = L.Lambda(lambda t: t[..., None, 1:7:3])(x)
    c = L.Lambda(lambda t: t[:, ::-1, tf.newaxis, :4])(x)
    return keras.Model(i, [a, b, c])


def pad_variants():
    i = keras.Input((4, 4, 2))
    x = L.Conv2D(2, 1)(i)
    a = L.Lambda(lambda t: tf.pad(t, [[0, 0], [1, 2], [2, 1], [0, 1]], constant_values=-1.0))(x)
    b = L.Lambda(lambda t: tf.pad(t, [[0, 0], [2, 2], [1, 0], [0, 0]], mode="SYMMETRIC"))(x)
    return keras.Model(i, [a, b])


def transpose_5d_batch1():
    i = keras.Input((2, 3, 4, 2), batch_size=1)
    x = L.Dense(2)(i)
    return keras.Model(i, L.Lambda(lambda t: tf.transpose(t, [0, 3, 1, 4, 2]))(x))


def add_n_mean():
    i = keras.Input((6,))
    xs = [L.Dense(6)(i) for _ in range(3)]
    return keras.Model(i, L.Lambda(lambda t: tf.math.add_n(t))(xs))


def int_index_math_batch1():
    """argmax -> floor_div / floor_mod on int32 (row and column of the largest)."""
    i = keras.Input((12,), batch_size=1)
    x = L.Dense(12)(i)
    a = L.Lambda(lambda t: tf.argmax(t, axis=-1, output_type=tf.int32))(x)
    return keras.Model(i, [L.Lambda(lambda t: t // 4)(a), L.Lambda(lambda t: t % 4)(a)])


def rsqrt_var():
    i = keras.Input((6,))
    x = L.Dense(6)(i)
    return keras.Model(i, L.Lambda(lambda t: tf.math.rsqrt(tf.square(t) + 0.5))(x))


MODELS = {f.__name__: f for f in (
    efficientnet_lite, mobilenet_v3_block, squeeze_excite, resnet_downsample, kws_cnn,
    audio_conv1d, tcn_batch1, crnn_batch1, lstm_unrolled, lstm_unrolled_batch1,
    lstm_sequences_batch1, gru_sequences_batch1, simple_rnn_stacked_batch1, mha_causal_batch1,
    mha_mask_input_batch1, transformer_encoder_batch1, einsum_attention_batch1, group_norm,
    group_norm_batch1, layer_norm_conv_batch1, depthwise_mult3_dilated_batch1,
    separable_dilated_batch1, conv_transpose_strided, unet_tiny, autoencoder, espcn_batch1,
    space_to_depth_stem, upsample_variants, upsample_nearest_batch1, crop_pad_1d_2d,
    siamese_distance, multi_head_outputs, dense_3d_dynamic, activations_mix, elu_conv,
    prelu_shared, softmax_axes_batch1, log_softmax_3d, l2_normalize_axes, math_abs_neg_square,
    squared_difference, div_by_norm, floor_ceil_shared, float_concat_island, cumsum_variants,
    reduce_variants, reduce_prod, arg_min_max_batch1, argmax_dynamic, gather_const_indices,
    gather_nd_batch1, embedding_flatten, embedding_conv1d_batch1, where_select,
    where_const_batch1, comparisons_logical, min_max_clip, reverse_tile, reverse_batch1,
    split_stack, unstack_batch1, strided_slice_newaxis, pad_variants, transpose_5d_batch1,
    add_n_mean, int_index_math_batch1, rsqrt_var)}

def _register_unary():
    MODELS["math_floor"] = _unary(lambda t: tf.floor(t * 4.0))
    MODELS["math_ceil"] = _unary(lambda t: tf.math.ceil(t * 4.0))
    MODELS["math_round"] = _unary(lambda t: tf.round(t * 4.0))
    MODELS["math_sqrt"] = _unary(lambda t: tf.sqrt(t), pre=lambda t: tf.abs(t) + 0.1)
    MODELS["math_exp"] = _unary(lambda t: tf.exp(t))
    MODELS["math_log"] = _unary(lambda t: tf.math.log(t), pre=lambda t: tf.abs(t) + 0.5)
    MODELS["math_sin_cos"] = _unary(lambda t: tf.sin(t) + tf.cos(t))
    MODELS["argmax_int64_batch1"] = argmax_int64_batch1
    MODELS["embedding_gather"] = embedding_gather


_register_unary()

# converted a second time with float32 inputs and outputs (the converter's default interface)
FLOAT_IO = ("efficientnet_lite", "kws_cnn", "squeeze_excite", "crnn_batch1", "unet_tiny",
            "transformer_encoder_batch1", "siamese_distance", "multi_head_outputs",
            "activations_mix", "math_floor", "where_select", "arg_min_max_batch1",
            "embedding_flatten", "upsample_variants", "lstm_unrolled_batch1")

# Models TFLM refuses (FILL with dims computed from SHAPE) that tflm_py runs after folding:
# their expected outputs come from TFLite's reference kernels, stored beside them (NAME.ref.npz)
REFERENCE_GOLDENS = ("lstm_unrolled",)


def convert(model, seed: int, io=None) -> bytes:
    from full_integer import convert_keras
    rng = np.random.default_rng(seed)
    specs = model.inputs

    def representative():
        for _ in range(32):
            out = []
            for s in specs:
                shape = [int(d) if d is not None else 1 for d in s.shape]
                if "int" in str(s.dtype):
                    out.append(rng.integers(0, 50, shape).astype(np.int32))
                elif s.name.startswith("b_mask"):
                    out.append((rng.random(shape) > 0.3).astype(np.float32))
                else:
                    out.append(rng.normal(0, 1, shape).astype(np.float32))
            yield out

    return convert_keras(model, representative, "int8", io)


def _convert_one(name: str, suffix: str, out_dir: str) -> int:
    global tf, keras, L
    import tensorflow as _tf
    tf, keras = _tf, _tf.keras
    L = keras.layers
    k = list(MODELS).index(name)
    keras.utils.set_random_seed(3000 + k)
    data = convert(MODELS[name](), 3000 + k, "float32" if suffix == "_float_io" else None)
    path = os.path.join(out_dir, f"{name}{suffix}.tflite")
    with open(path, "wb") as f:
        f.write(data)
    print(f"{name}{suffix}: {len(data)} bytes", flush=True)
    if name in REFERENCE_GOLDENS and not suffix:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from make_keras_corpus2 import write_reference_golden
        print(f"  reference outputs: {write_reference_golden(path)}", flush=True)
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests",
                                                  "data", "converted3"))
    ap.add_argument("--one", help=argparse.SUPPRESS)   # NAME[:SUFFIX], in this process
    ap.add_argument("names", nargs="*")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    if args.one:
        name, _, suffix = args.one.partition(":")
        return _convert_one(name, suffix, args.out)
    failed = 0
    for name in args.names or list(MODELS):
        for suffix in ("", "_float_io") if name in FLOAT_IO else ("",):
            r = subprocess.run([sys.executable, os.path.abspath(__file__), "--out", args.out,
                                "--one", f"{name}:{suffix}"], stderr=subprocess.PIPE,
                               text=True)
            if r.returncode != 0:
                failed += 1
                tail = (r.stderr.strip().splitlines() or ["(no message)"])[-1]
                print(f"{name}{suffix}: conversion failed (exit {r.returncode}): {tail[:200]}",
                      file=sys.stderr, flush=True)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
