"""Build the second converter-made corpus (tests/data/converted2/): small Keras 3 models with
layers the first corpus (scripts/make_keras_corpus.py) does not hold, each converted twice by
TensorFlow's TFLiteConverter: full-integer int8 (int8 I/O) as `NAME.tflite` and 16x8
(EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8, int16 I/O) as `NAME_16x8.tflite`.

    /work/tfvenv/bin/python scripts/make_keras_corpus2.py [--out DIR] [NAME...]

Needs tensorflow-cpu (not a test dependency); the .tflite files it writes are committed.
Weights and representative data are random (seeded): the models test the converter's graphs.
"""
from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from full_integer import convert_keras  # noqa: E402

keras = tf.keras
L = keras.layers


def separable_conv():
    i = keras.Input((12, 12, 3))
    x = L.SeparableConv2D(8, 3, padding="same", activation="relu")(i)
    return keras.Model(i, L.SeparableConv2D(4, 3, strides=2)(x))


def dilated_conv():
    i = keras.Input((12, 12, 2))
    return keras.Model(i, L.Conv2D(4, 3, dilation_rate=2, padding="same")(i))


def grouped_conv():
    i = keras.Input((8, 8, 4))
    return keras.Model(i, L.Conv2D(8, 3, groups=2, padding="same", activation="relu")(i))


def depthwise_multiplier():
    i = keras.Input((8, 8, 3))
    x = L.DepthwiseConv2D(3, depth_multiplier=2, padding="same", activation="relu6")(i)
    return keras.Model(i, L.DepthwiseConv2D(3, strides=2, depth_multiplier=2)(x))


def causal_conv1d():
    i = keras.Input((32, 3))
    x = L.Conv1D(6, 3, padding="causal", dilation_rate=2, activation="relu")(i)
    return keras.Model(i, L.Conv1D(4, 3, padding="causal")(x))


def global_max_pool():
    i = keras.Input((8, 8, 3))
    x = L.Conv2D(6, 3, activation="relu")(i)
    return keras.Model(i, L.Dense(3)(L.GlobalMaxPooling2D()(x)))


def maxpool_same_stride():
    i = keras.Input((9, 9, 4))
    x = L.MaxPooling2D(3, strides=2, padding="same")(i)
    return keras.Model(i, L.AveragePooling2D(3, strides=2, padding="same")(x))


def dense_batchnorm():
    i = keras.Input((10,))
    x = L.Dense(16, use_bias=False)(i)
    x = L.BatchNormalization()(x)
    return keras.Model(i, L.Dense(3)(L.ReLU()(x)))


def layer_norm():
    i = keras.Input((6, 8))
    x = L.Dense(8)(i)
    return keras.Model(i, L.LayerNormalization()(x))


def embedding_pool():
    i = keras.Input((12,), dtype="int32")
    x = L.Embedding(50, 8)(i)
    return keras.Model(i, L.Dense(2)(L.GlobalAveragePooling1D()(x)))


def gru_unrolled():
    i = keras.Input((5, 4))
    return keras.Model(i, L.GRU(6, unroll=True)(i))


def simple_rnn_unrolled():
    i = keras.Input((6, 3))
    return keras.Model(i, L.SimpleRNN(5, unroll=True)(i))


def tiny_attention():
    i = keras.Input((4, 8))
    return keras.Model(i, L.MultiHeadAttention(num_heads=1, key_dim=4)(i, i))


def upsample_nearest():
    i = keras.Input((4, 4, 3))
    return keras.Model(i, L.UpSampling2D(2, interpolation="nearest")(i))


def upsample_bilinear():
    i = keras.Input((4, 4, 3))
    x = L.Conv2D(4, 1)(i)
    return keras.Model(i, L.UpSampling2D((2, 3), interpolation="bilinear")(x))


def pad_crop():
    i = keras.Input((8, 8, 2))
    x = L.ZeroPadding2D(((1, 0), (2, 1)))(i)
    x = L.Conv2D(3, 3)(x)
    x = L.Cropping2D(((0, 1), (1, 0)))(x)
    return keras.Model(i, L.ZeroPadding2D(1)(x))


def merges():
    i = keras.Input((6, 6, 3))
    a = L.Conv2D(3, 1)(i)
    b = L.Conv2D(3, 3, padding="same")(i)
    m = L.Multiply()([a, b])
    s = L.Subtract()([a, b])
    x = L.Maximum()([m, s])
    return keras.Model(i, L.Minimum()([x, a]))


def softmax_axis1():
    i = keras.Input((5, 6))
    x = L.Dense(6)(i)
    return keras.Model(i, L.Softmax(axis=1)(x))


def permute_reshape():
    i = keras.Input((4, 6, 2))
    x = L.Conv2D(3, 1)(i)
    x = L.Permute((3, 1, 2))(x)
    return keras.Model(i, L.Reshape((3, 24))(x))


def tf_activations():
    i = keras.Input((16,))
    x = L.Dense(16)(i)
    a = L.Lambda(lambda t: tf.nn.relu6(t))(x)
    b = L.Activation("hard_sigmoid")(x)
    c = L.Lambda(lambda t: tf.nn.swish(t))(x)
    return keras.Model(i, L.Concatenate()([a, b, c]))


def gelu_act():
    i = keras.Input((16,))
    return keras.Model(i, L.Lambda(lambda t: tf.nn.gelu(t))(L.Dense(16)(i)))


def lambda_math():
    i = keras.Input((6, 6, 3))
    x = L.Conv2D(4, 1)(i)
    r = L.Lambda(lambda t: tf.reduce_max(t, axis=[1, 2]))(x)
    c = L.Lambda(lambda t: tf.clip_by_value(t, -0.5, 0.5))(x)
    n = L.Lambda(lambda t: tf.math.l2_normalize(t, axis=-1))(x)
    q = L.Lambda(lambda t: tf.square(t) + tf.abs(t))(x)
    return keras.Model(i, [r, c, n, q])


def lambda_clip_abs():
    """lambda_math without L2_NORMALIZATION and SQUARE, which the 16x8 converter refuses."""
    i = keras.Input((6, 6, 3))
    x = L.Conv2D(4, 1)(i)
    r = L.Lambda(lambda t: tf.reduce_max(t, axis=[1, 2]))(x)
    c = L.Lambda(lambda t: tf.clip_by_value(t, -0.5, 0.5))(x)
    return keras.Model(i, [r, L.Lambda(lambda t: tf.abs(t) - t)(c)])


def fixed_batch2():
    i = keras.Input((8, 8, 2), batch_size=2)
    x = L.Conv2D(4, 3, activation="relu")(i)
    x = L.GlobalAveragePooling2D()(x)
    return keras.Model(i, L.Dense(3)(x))


def two_in_two_out():
    a = keras.Input((8, 8, 2), name="a_image")
    b = keras.Input((10,), name="b_vector")
    x = L.GlobalAveragePooling2D()(L.Conv2D(4, 3)(a))
    y = L.Dense(4, activation="relu")(b)
    z = L.Concatenate()([x, y])
    return keras.Model([a, b], [L.Dense(2)(z), L.Add()([x, y])])


def dilated_conv_batch1():
    """dilated_conv with a fixed batch: the converter writes the true SPACE_TO_BATCH_ND shapes."""
    i = keras.Input((12, 12, 2), batch_size=1)
    return keras.Model(i, L.Conv2D(4, 3, dilation_rate=2, padding="same")(i))


def causal_conv1d_batch1():
    i = keras.Input((32, 3), batch_size=1)
    x = L.Conv1D(6, 3, padding="causal", dilation_rate=2, activation="relu")(i)
    return keras.Model(i, L.Conv1D(4, 3, padding="causal")(x))


def avgpool_same():
    i = keras.Input((7, 7, 3))
    x = L.AveragePooling2D(3, strides=2, padding="same")(i)
    return keras.Model(i, L.MaxPooling2D(2, strides=1, padding="valid")(x))


def conv_stride_valid():
    i = keras.Input((9, 7, 2))
    x = L.Conv2D(4, (2, 3), strides=(2, 3), use_bias=False)(i)
    return keras.Model(i, L.DepthwiseConv2D(2, strides=2, padding="same")(x))


def concat_axis1():
    i = keras.Input((4, 4, 2))
    a = L.Conv2D(2, 1)(i)
    b = L.Conv2D(2, 3, padding="same")(i)
    return keras.Model(i, L.Concatenate(axis=1)([a, b]))


def reductions():
    i = keras.Input((5, 4, 3))
    x = L.Conv2D(3, 1)(i)
    s = L.Lambda(lambda t: tf.reduce_sum(t, axis=2))(x)
    m = L.Lambda(lambda t: tf.reduce_mean(t, axis=[1], keepdims=True))(x)
    n = L.Lambda(lambda t: tf.reduce_min(t, axis=-1))(x)
    return keras.Model(i, [s, m, n])


def strided_slices():
    i = keras.Input((8, 6, 4))
    x = L.Conv2D(4, 1)(i)
    a = L.Lambda(lambda t: t[:, 1::2, ::-2, :3])(x)
    return keras.Model(i, L.Lambda(lambda t: t[:, :, :, 1:])(a))


def relu_variants():
    i = keras.Input((12,))
    x = L.Dense(12)(i)
    a = L.ReLU(max_value=3.0, negative_slope=0.1, threshold=0.5)(x)
    b = L.ReLU(max_value=1.0)(x)
    c = L.LeakyReLU(0.3)(x)
    return keras.Model(i, L.Concatenate()([a, b, c]))


def sigmoid_tanh_gate():
    i = keras.Input((10, 4))
    a = L.Dense(6, activation="sigmoid")(i)
    b = L.Dense(6, activation="tanh")(i)
    return keras.Model(i, L.Multiply()([a, b]))


def dense_no_bias_3d():
    i = keras.Input((3, 4, 5))
    return keras.Model(i, L.Dense(3, use_bias=False)(i))


def conv1d_transpose():
    i = keras.Input((8, 4))
    return keras.Model(i, L.Conv1DTranspose(3, 3, strides=2, padding="same")(i))


def sequence_gate_batch1():
    """sigmoid_tanh_gate with a fixed batch: Dense on a sequence without dynamic reshapes."""
    i = keras.Input((10, 4), batch_size=1)
    a = L.Dense(6, activation="sigmoid")(i)
    b = L.Dense(6, activation="tanh")(i)
    return keras.Model(i, L.Multiply()([a, b]))


def softmax_axis1_batch1():
    i = keras.Input((5, 6), batch_size=1)
    x = L.Dense(6)(i)
    return keras.Model(i, L.Softmax(axis=1)(x))


def layer_norm_batch1():
    i = keras.Input((6, 8), batch_size=1)
    x = L.Dense(8)(i)
    return keras.Model(i, L.LayerNormalization()(x))


def even_kernel_same():
    i = keras.Input((8, 8, 2))
    x = L.Conv2D(3, 2, padding="same")(i)
    x = L.Conv2D(3, 4, strides=2, padding="same")(x)
    x = L.DepthwiseConv2D(2, padding="same")(x)
    return keras.Model(i, L.MaxPooling2D(2, strides=1, padding="same")(x))


def pool1d():
    i = keras.Input((20, 3))
    x = L.Conv1D(4, 3, padding="same")(i)
    a = L.MaxPooling1D(3, strides=2, padding="same")(x)
    b = L.AveragePooling1D(2)(x)
    return keras.Model(i, [L.GlobalAveragePooling1D()(a), L.GlobalMaxPooling1D()(b)])


def math_funcs():
    i = keras.Input((12,))
    x = L.Dense(12)(i)
    e = L.Lambda(lambda t: tf.exp(t * 0.5))(x)
    r = L.Lambda(lambda t: tf.math.rsqrt(tf.abs(t) + 1.0))(x)
    s = L.Lambda(lambda t: tf.sqrt(tf.abs(t)))(x)
    ls = L.Lambda(lambda t: tf.nn.log_softmax(t))(x)
    return keras.Model(i, [e, r, s, ls])


def broadcast_arith():
    i = keras.Input((4, 4, 3))
    x = L.Conv2D(3, 1)(i)
    y = L.Lambda(lambda t: (t + tf.constant([0.1, -0.2, 0.3])) * 1.5 - tf.reduce_mean(
        t, axis=-1, keepdims=True))(x)
    return keras.Model(i, y)


def concat_requant():
    i = keras.Input((6, 6, 2))
    a = L.Conv2D(2, 1)(i)
    b = L.Lambda(lambda t: t * 8.0)(L.Conv2D(3, 1)(i))
    c = L.ReLU()(i)
    return keras.Model(i, L.Concatenate()([a, b, c]))


def transpose_reverse_pad():
    i = keras.Input((4, 5, 3))
    x = L.Conv2D(3, 1)(i)
    t = L.Lambda(lambda v: tf.transpose(v, [0, 2, 1, 3]))(x)
    r = L.Lambda(lambda v: tf.reverse(v, axis=[1]))(t)
    p = L.Lambda(lambda v: tf.pad(v, [[0, 0], [1, 1], [0, 2], [0, 0]], constant_values=0.5))(r)
    m = L.Lambda(lambda v: tf.pad(v, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT"))(r)
    return keras.Model(i, [p, m])


def space_depth():
    i = keras.Input((8, 8, 2))
    x = L.Conv2D(4, 1)(i)
    y = L.Lambda(lambda t: tf.nn.space_to_depth(t, 2))(x)
    return keras.Model(i, L.Lambda(lambda t: tf.nn.depth_to_space(t, 2))(L.Conv2D(8, 1)(y)))


def argmax_int32():
    i = keras.Input((10,), batch_size=1)
    x = L.Dense(6)(i)
    return keras.Model(i, [x, L.Lambda(lambda t: tf.argmax(t, -1, output_type=tf.int32))(x)])


def prelu_unshared():
    i = keras.Input((6, 6, 3))
    return keras.Model(i, L.PReLU()(L.Conv2D(4, 3)(i)))


def resize_nearest():
    i = keras.Input((5, 5, 2))
    x = L.Conv2D(2, 1)(i)
    a = L.Resizing(10, 10, interpolation="nearest")(x)
    b = L.Lambda(lambda t: tf.compat.v1.image.resize_bilinear(t, (9, 9), align_corners=True))(x)
    return keras.Model(i, [a, b])


def squeeze_expand_mean():
    i = keras.Input((1, 8, 3))
    x = L.Lambda(lambda t: tf.squeeze(t, axis=1))(i)
    x = L.Conv1D(4, 3)(x)
    x = L.Lambda(lambda t: tf.expand_dims(t, 1))(x)
    return keras.Model(i, L.Lambda(lambda t: tf.reduce_mean(t, axis=-1))(x))


MODELS = {f.__name__: f for f in (
    separable_conv, dilated_conv, grouped_conv, depthwise_multiplier, causal_conv1d,
    global_max_pool, maxpool_same_stride, dense_batchnorm, layer_norm, embedding_pool,
    gru_unrolled, simple_rnn_unrolled, tiny_attention, upsample_nearest, upsample_bilinear,
    pad_crop, merges, softmax_axis1, permute_reshape, tf_activations, gelu_act, lambda_math,
    lambda_clip_abs, fixed_batch2, two_in_two_out, dilated_conv_batch1, causal_conv1d_batch1,
    avgpool_same, conv_stride_valid, concat_axis1, reductions, strided_slices, relu_variants,
    sigmoid_tanh_gate, dense_no_bias_3d, conv1d_transpose, sequence_gate_batch1,
    softmax_axis1_batch1, layer_norm_batch1, even_kernel_same, pool1d,
    math_funcs, broadcast_arith, concat_requant, transpose_reverse_pad, space_depth,
    argmax_int32, prelu_unshared, resize_nearest, squeeze_expand_mean)}

# converted a third time with float32 inputs and outputs (the converter's default interface:
# QUANTIZE / DEQUANTIZE at the edges), `NAME_float_io`, and once with uint8 I/O
FLOAT_IO = ("separable_conv", "two_in_two_out", "mlp_softmax")
UINT8_IO = ("separable_conv",)


def _act(kind):
    def build():
        i = keras.Input((4, 4, 3))
        return keras.Model(i, L.Activation(kind)(L.Conv2D(4, 1)(i)))
    build.__name__ = f"act_{kind}"
    return build


def rescaling_normalization():
    i = keras.Input((6, 6, 3))
    x = L.Rescaling(1.0 / 127.5, offset=-1.0)(i)
    norm = L.Normalization(mean=[0.1, 0.2, 0.3], variance=[1.0, 2.0, 0.5])
    return keras.Model(i, L.Conv2D(4, 3)(norm(x)))


def keras_attention():
    q = keras.Input((4, 6), name="a_query")
    v = keras.Input((5, 6), name="b_value")
    return keras.Model([q, v], L.Attention()([q, v]))


def bidirectional_gru():
    i = keras.Input((4, 3), batch_size=1)
    return keras.Model(i, L.Bidirectional(L.GRU(4, unroll=True))(i))


def depthwise_conv1d():
    i = keras.Input((16, 4))
    return keras.Model(i, L.DepthwiseConv1D(3, depth_multiplier=2, padding="same")(i))


def time_distributed_repeat():
    i = keras.Input((5, 4))
    x = L.TimeDistributed(L.Dense(3))(i)
    x = L.Flatten()(x)
    return keras.Model(i, L.RepeatVector(2)(L.Dense(4)(x)))


def cumsum_floormod():
    i = keras.Input((8,), batch_size=1)
    x = L.Dense(8)(i)
    return keras.Model(i, L.Lambda(lambda t: tf.math.cumsum(t, axis=-1))(x))


def mlp_softmax():
    i = keras.Input((10,))
    x = L.Dense(8, activation="relu")(i)
    return keras.Model(i, L.Dense(4, activation="softmax")(x))


MODELS["mlp_softmax"] = mlp_softmax
for _kind in ("elu", "selu", "softplus", "softsign", "mish", "silu", "exponential", "gelu",
              "relu6", "log_softmax", "leaky_relu"):
    MODELS[f"act_{_kind}"] = _act(_kind)
for _f in (rescaling_normalization, keras_attention, bidirectional_gru, depthwise_conv1d,
           time_distributed_repeat, cumsum_floormod):
    MODELS[_f.__name__] = _f


# 16x8 conversions of some of the first corpus's models (their int8 ones are there)
CORPUS1_16X8 = ("mobilenet_v1", "mobilenet_v2", "ds_cnn", "yolo_head", "reshape_dense",
                "act_swish", "act_softmax", "conv_transpose", "branches_concat")


def _corpus1_models():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import make_keras_corpus
    return {f"corpus1_{n}": make_keras_corpus.MODELS[n] for n in CORPUS1_16X8}


MODELS.update(_corpus1_models())


def convert(model, seed: int, int16: bool, io=None) -> bytes:
    rng = np.random.default_rng(seed)
    specs = model.inputs

    def representative():
        for _ in range(32):
            out = []
            for s in specs:
                shape = [int(d) if d is not None else 1 for d in s.shape]
                if "int" in str(s.dtype):
                    out.append(rng.integers(0, 50, shape).astype(np.int32))
                else:
                    out.append(rng.normal(0, 1, shape).astype(np.float32))
            yield out

    return convert_keras(model, representative, "int16" if int16 else "int8",
                         io.name if io is not None else None)


# Models TFLM refuses (FILL with dims computed from SHAPE) that tflm_py runs after folding:
# their expected outputs come from TFLite's reference kernels (BUILTIN_REF), stored beside them.
REFERENCE_GOLDENS = ("gru_unrolled", "simple_rnn_unrolled")


def write_reference_golden(path: str, seed: int = 3, n: int = 4) -> str:
    """NAME.ref.npz: n seeded inputs and TFLite's reference-kernel outputs (single-input,
    single-output models)."""
    ip = tf.lite.Interpreter(
        model_path=path,
        experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF)
    ip.allocate_tensors()
    din, dout = ip.get_input_details()[0], ip.get_output_details()[0]
    info = np.iinfo(din["dtype"])
    rng = np.random.default_rng(seed)
    xs = rng.integers(info.min, info.max + 1, (n, *din["shape"])).astype(din["dtype"])
    ys = []
    for x in xs:
        ip.set_tensor(din["index"], x)
        ip.invoke()
        ys.append(ip.get_tensor(dout["index"]).copy())
    out = path[:-len(".tflite")] + ".ref.npz"
    np.savez(out, x=xs, y=np.stack(ys))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests",
                                                  "data", "converted2"))
    ap.add_argument("names", nargs="*")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    names = args.names or list(MODELS)
    for name in names:
        k = list(MODELS).index(name)
        modes = [(False, "", None), (True, "_16x8", None)]
        if name.startswith("corpus1_"):
            modes = modes[1:]
        if name in FLOAT_IO:
            modes.append((False, "_float_io", tf.float32))
        if name in UINT8_IO:
            modes.append((False, "_uint8_io", tf.uint8))
        for int16, suffix, io in modes:
            keras.utils.set_random_seed(2000 + k)
            try:
                data = convert(MODELS[name](), 2000 + k, int16, io)
            except Exception as e:  # one model the converter refuses must not stop the rest
                print(f"{name}{suffix}: conversion failed: {type(e).__name__}: "
                      f"{str(e)[:200]}", file=sys.stderr)
                continue
            path = os.path.join(args.out, f"{name}{suffix}.tflite")
            with open(path, "wb") as f:
                f.write(data)
            print(f"{name}{suffix}: {len(data)} bytes", flush=True)
            if name in REFERENCE_GOLDENS and not int16:
                print(f"  reference outputs: {write_reference_golden(path)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
