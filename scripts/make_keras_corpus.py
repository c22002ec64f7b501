"""Build the converter-made corpus of tests/data/converted/: small Keras 3 models of the kinds
users convert, each through TensorFlow's TFLiteConverter with full-integer int8
post-training quantization (the documented settings), with Keras' default dynamic batch.

    /work/tfvenv/bin/python scripts/make_keras_corpus.py [--out tests/data/converted] [NAME...]

Needs tensorflow-cpu (not a test dependency); the .tflite files it writes are committed.
Weights are random (seeded): the models test the converter's graphs, not accuracy.
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


def _act(x, kind):
    return L.Activation(kind)(x)


def mobilenet_v1():
    i = keras.Input((32, 32, 3))
    x = L.Conv2D(8, 3, strides=2, padding="same")(i)
    x = L.ReLU(6.0)(x)
    for f, s in ((16, 1), (16, 2), (24, 1)):
        x = L.DepthwiseConv2D(3, strides=s, padding="same")(x)
        x = L.ReLU(6.0)(x)
        x = L.Conv2D(f, 1)(x)
        x = L.ReLU(6.0)(x)
    x = L.GlobalAveragePooling2D()(x)
    return keras.Model(i, L.Dense(5, activation="softmax")(x))


def mobilenet_v2():
    i = keras.Input((32, 32, 3))
    x = L.Conv2D(8, 3, strides=2, padding="same")(i)
    x = L.ReLU(6.0)(x)
    for _ in range(2):
        y = L.Conv2D(24, 1)(x)
        y = L.ReLU(6.0)(y)
        y = L.DepthwiseConv2D(3, padding="same")(y)
        y = L.ReLU(6.0)(y)
        y = L.Conv2D(8, 1)(y)
        x = L.Add()([x, y])
    x = L.GlobalAveragePooling2D()(x)
    return keras.Model(i, L.Dense(4)(x))


def mobilenet_v3_small():
    i = keras.Input((32, 32, 3))
    x = L.Conv2D(8, 3, strides=2, padding="same")(i)
    x = _act(x, "hard_swish")
    y = L.DepthwiseConv2D(3, padding="same")(x)
    s = L.GlobalAveragePooling2D(keepdims=True)(y)
    s = L.Conv2D(4, 1, activation="relu")(s)
    s = L.Conv2D(8, 1, activation="hard_sigmoid")(s)
    y = L.Multiply()([y, s])
    y = L.Conv2D(8, 1)(y)
    x = L.Add()([x, y])
    x = L.GlobalAveragePooling2D()(x)
    return keras.Model(i, L.Dense(3)(x))


def resnet8():
    i = keras.Input((16, 16, 3))
    x = L.Conv2D(8, 3, padding="same", activation="relu")(i)
    for f, s in ((8, 1), (16, 2)):
        y = L.Conv2D(f, 3, strides=s, padding="same", activation="relu")(x)
        y = L.Conv2D(f, 3, padding="same")(y)
        if s != 1 or f != x.shape[-1]:
            x = L.Conv2D(f, 1, strides=s)(x)
        x = L.ReLU()(L.Add()([x, y]))
    x = L.AveragePooling2D(8)(x)
    x = L.Flatten()(x)
    return keras.Model(i, L.Dense(10, activation="softmax")(x))


def ds_cnn():
    i = keras.Input((20, 10, 1))
    x = L.Conv2D(16, (5, 3), strides=2, padding="same", activation="relu")(i)
    for _ in range(2):
        x = L.DepthwiseConv2D(3, padding="same", activation="relu")(x)
        x = L.Conv2D(16, 1, activation="relu")(x)
    x = L.AveragePooling2D((10, 5))(x)
    x = L.Flatten()(x)
    return keras.Model(i, L.Dense(12, activation="softmax")(x))


def conv1d():
    i = keras.Input((64, 2))
    x = L.Conv1D(8, 5, activation="relu")(i)
    x = L.MaxPooling1D(2)(x)
    x = L.Conv1D(8, 3, activation="relu")(x)
    x = L.GlobalMaxPooling1D()(x)
    return keras.Model(i, L.Dense(3)(x))


def unet():
    i = keras.Input((16, 16, 1))
    a = L.Conv2D(8, 3, padding="same", activation="relu")(i)
    b = L.MaxPooling2D()(a)
    b = L.Conv2D(16, 3, padding="same", activation="relu")(b)
    u = L.UpSampling2D()(b)
    c = L.Concatenate()([a, u])
    c = L.Conv2D(8, 3, padding="same", activation="relu")(c)
    return keras.Model(i, L.Conv2D(1, 1, activation="sigmoid")(c))


def yolo_head():
    i = keras.Input((16, 16, 3))
    x = L.Conv2D(8, 3, strides=2, padding="same", activation="relu")(i)
    x = L.Conv2D(16, 3, strides=2, padding="same", activation="relu")(x)
    x = L.Conv2D(2 * 7, 1)(x)
    x = L.Reshape((4 * 4 * 2, 7))(x)
    return keras.Model(i, L.Activation("sigmoid")(x))


def transformer_block():
    i = keras.Input((8, 16))
    a = L.MultiHeadAttention(num_heads=2, key_dim=8)(i, i)
    x = L.LayerNormalization()(L.Add()([i, a]))
    f = L.Dense(32, activation="relu")(x)
    f = L.Dense(16)(f)
    x = L.LayerNormalization()(L.Add()([x, f]))
    x = L.GlobalAveragePooling1D()(x)
    return keras.Model(i, L.Dense(2)(x))


def dense_on_sequence():
    i = keras.Input((8, 16))
    x = L.Dense(12, activation="relu")(i)
    return keras.Model(i, L.Dense(4)(x))


def text_embedding():
    i = keras.Input((16,), dtype="int32")
    x = L.Embedding(100, 8)(i)
    x = L.GlobalAveragePooling1D()(x)
    return keras.Model(i, L.Dense(2, activation="softmax")(x))


def super_resolution():
    i = keras.Input((8, 8, 1))
    x = L.Conv2D(8, 3, padding="same", activation="relu")(i)
    x = L.Conv2D(4, 3, padding="same")(x)
    x = L.Lambda(lambda t: tf.nn.depth_to_space(t, 2))(x)
    return keras.Model(i, x)


def _activation_model(layer):
    def build():
        i = keras.Input((8, 8, 4))
        x = L.Conv2D(4, 3, padding="same")(i)
        return keras.Model(i, layer()(x))
    return build


def flatten_dense():
    i = keras.Input((6, 6, 2))
    x = L.Conv2D(4, 3, activation="relu")(i)
    x = L.Flatten()(x)
    return keras.Model(i, L.Dense(3)(x))


def reshape_dense():
    i = keras.Input((24,))
    x = L.Dense(24, activation="relu")(i)
    x = L.Reshape((4, 6))(x)
    x = L.Conv1D(4, 3)(x)
    x = L.Reshape((-1,))(x)
    return keras.Model(i, L.Dense(2)(x))


def split_channels():
    i = keras.Input((8, 8, 4))
    x = L.Conv2D(8, 1)(i)
    a, b = L.Lambda(lambda t: tf.split(t, 2, axis=-1))(x)
    return keras.Model(i, L.Add()([a, L.ReLU()(b)]))


def gather_columns():
    i = keras.Input((10,))
    x = L.Dense(10)(i)
    x = L.Lambda(lambda t: tf.gather(t, [0, 3, 5, 7], axis=1))(x)
    return keras.Model(i, x)


def argmax_head():
    i = keras.Input((16,))
    x = L.Dense(8)(i)
    return keras.Model(i, L.Lambda(lambda t: tf.argmax(t, axis=-1))(x))


def resize_bilinear():
    i = keras.Input((8, 8, 2))
    x = L.Conv2D(4, 3, padding="same")(i)
    return keras.Model(i, L.Resizing(16, 16, interpolation="bilinear")(x))


def mlp():
    i = keras.Input((20,))
    x = L.Dense(32, activation="relu")(i)
    x = L.Dense(16, activation="tanh")(x)
    return keras.Model(i, L.Dense(4, activation="softmax")(x))


def pooling_cnn():
    i = keras.Input((16, 16, 1))
    x = L.Conv2D(8, 3, activation="relu")(i)
    x = L.MaxPooling2D()(x)
    x = L.Conv2D(8, 3, activation="relu")(x)
    x = L.AveragePooling2D()(x)
    x = L.GlobalAveragePooling2D()(x)
    return keras.Model(i, L.Dense(2)(x))


def branches_concat():
    i = keras.Input((8, 8, 3))
    a = L.Conv2D(4, 1, activation="relu")(i)
    b = L.Conv2D(4, 3, padding="same", activation="relu")(i)
    c = L.MaxPooling2D(3, strides=1, padding="same")(i)
    return keras.Model(i, L.Concatenate()([a, b, c]))


def padded_conv():
    i = keras.Input((8, 8, 2))
    x = L.ZeroPadding2D(2)(i)
    return keras.Model(i, L.Conv2D(4, 5)(x))


def permute():
    i = keras.Input((6, 4))
    x = L.Dense(4)(i)
    x = L.Permute((2, 1))(x)
    return keras.Model(i, L.Dense(3)(x))


def conv_transpose():
    i = keras.Input((4, 4, 4))
    x = L.Conv2DTranspose(4, 3, strides=2, padding="same")(i)
    return keras.Model(i, x)


def elementwise_broadcast():
    i = keras.Input((4, 4, 3))
    x = L.Conv2D(3, 1)(i)
    y = L.Lambda(lambda t: t * tf.constant([0.5, -1.0, 2.0]) + 0.25)(x)
    return keras.Model(i, L.Maximum()([x, y]))


def cropping():
    i = keras.Input((10, 10, 2))
    x = L.Conv2D(4, 3, padding="same")(i)
    return keras.Model(i, L.Cropping2D(((1, 2), (2, 1)))(x))


def batchnorm_conv():
    i = keras.Input((8, 8, 3))
    x = L.Conv2D(8, 3, padding="same", use_bias=False)(i)
    x = L.BatchNormalization()(x)
    x = L.ReLU()(x)
    return keras.Model(i, L.GlobalMaxPooling2D()(x))


MODELS = {
    "mobilenet_v1": mobilenet_v1, "mobilenet_v2": mobilenet_v2,
    "mobilenet_v3_small": mobilenet_v3_small, "resnet8": resnet8, "ds_cnn": ds_cnn,
    "conv1d": conv1d, "unet": unet, "yolo_head": yolo_head,
    "transformer_block": transformer_block, "dense_on_sequence": dense_on_sequence,
    "text_embedding": text_embedding, "super_resolution": super_resolution,
    "act_prelu": _activation_model(lambda: L.PReLU(shared_axes=[1, 2])),
    "act_elu": _activation_model(lambda: L.ELU()),
    "act_leaky_relu": _activation_model(lambda: L.LeakyReLU(0.2)),
    "act_tanh": _activation_model(lambda: L.Activation("tanh")),
    "act_sigmoid": _activation_model(lambda: L.Activation("sigmoid")),
    "act_swish": _activation_model(lambda: L.Activation("swish")),
    "act_softmax": _activation_model(lambda: L.Softmax()),
    "flatten_dense": flatten_dense, "reshape_dense": reshape_dense,
    "split_channels": split_channels, "gather_columns": gather_columns,
    "argmax_head": argmax_head, "resize_bilinear": resize_bilinear, "mlp": mlp,
    "pooling_cnn": pooling_cnn, "branches_concat": branches_concat,
    "padded_conv": padded_conv, "permute": permute, "conv_transpose": conv_transpose,
    "elementwise_broadcast": elementwise_broadcast, "cropping": cropping,
    "batchnorm_conv": batchnorm_conv,
}


def convert(model, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    specs = model.inputs

    def representative():
        for _ in range(16):
            out = []
            for s in specs:
                shape = [1] + [int(d) for d in s.shape[1:]]
                if s.dtype.startswith("int") if isinstance(s.dtype, str) else False:
                    out.append(rng.integers(0, 100, shape).astype(np.int32))
                else:
                    out.append(rng.normal(0, 1, shape).astype(np.float32))
            yield out

    return convert_keras(model, representative)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests",
                                                  "data", "converted"))
    ap.add_argument("names", nargs="*")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    names = args.names or list(MODELS)
    for k, name in enumerate(names):
        keras.utils.set_random_seed(1000 + k)
        try:
            data = convert(MODELS[name](), 1000 + k)
        except Exception as e:  # one model the converter refuses must not stop the rest
            print(f"{name}: conversion failed: {type(e).__name__}: {str(e)[:200]}",
                  file=sys.stderr)
            continue
        path = os.path.join(args.out, f"{name}.tflite")
        with open(path, "wb") as f:
            f.write(data)
        print(f"{name}: {len(data)} bytes", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
