#!/usr/bin/env python3
"""Build small Keras models with Conv2DTranspose and matrix products (attention-like), convert
them with TensorFlow's TFLiteConverter (full-integer int8 post-training quantization, and the
16x8 mode for some), and write them to tests/data/converted_matmul/.

Needs tensorflow-cpu (not a test dependency):  /work/tfvenv/bin/python scripts/make_matmul_models.py
The tests (tests/test_converted_matmul.py) only read the committed .tflite files."""
import os
import sys

import numpy as np
import keras
from keras import layers
from full_integer import convert_keras  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "converted_matmul")


def upsampler(act="relu"):
    x = keras.Input((6, 6, 4), batch_size=1)
    h = layers.Conv2DTranspose(8, 3, strides=2, padding="same", activation=act)(x)
    h = layers.Conv2DTranspose(5, 4, strides=2, padding="valid")(h)
    y = layers.Conv2DTranspose(3, (2, 3), strides=(1, 2), padding="same", use_bias=False)(h)
    return keras.Model(x, y)


def dot_attention():
    x = keras.Input((12, 8), batch_size=1)
    q = layers.Dense(8)(x)
    k = layers.Dense(8)(x)
    v = layers.Dense(6)(x)
    s = layers.Dot(axes=(2, 2))([q, k])          # q k^T
    a = layers.Softmax()(s)
    y = layers.Dot(axes=(2, 1))([a, v])          # a v
    return keras.Model(x, y)


def attention_2d():
    """Tokens as a [12, 8] matrix (Dense on a 2-D input is a plain FULLY_CONNECTED):
    softmax(q k^T) v with two BATCH_MATMULs."""
    x = keras.Input((8,), batch_size=12)
    q = layers.Dense(8)(x)
    k = layers.Dense(8)(x)
    v = layers.Dense(6)(x)
    s = layers.Lambda(lambda t: keras.ops.matmul(t[0], keras.ops.transpose(t[1])))([q, k])
    a = layers.Softmax()(s)
    y = layers.Lambda(lambda t: keras.ops.matmul(t[0], t[1]))([a, v])
    return keras.Model(x, y)


def matmul_ops():
    """A batched product of two inputs, the RHS broadcast over the batch of 4."""
    x = keras.Input((4, 10, 6), batch_size=1, name="in0")
    w = keras.Input((1, 6, 7), batch_size=1, name="in1")
    y = layers.Lambda(lambda t: keras.ops.matmul(t[0], t[1]))([x, w])
    return keras.Model([x, w], y)


def mha_block():
    x = keras.Input((8, 16), batch_size=1)
    h = layers.MultiHeadAttention(num_heads=2, key_dim=4)(x, x)
    y = layers.Add()([x, h])
    return keras.Model(x, y)


def convert(model, mode):
    rng = np.random.default_rng(0)
    shapes = [tuple(int(d) for d in i.shape) for i in model.inputs]

    def rep():
        for _ in range(64):
            yield [rng.standard_normal(s).astype(np.float32) for s in shapes]

    return convert_keras(model, rep, "int8" if mode == "int8" else "int16")


def main():
    os.makedirs(OUT, exist_ok=True)
    keras.utils.set_random_seed(1)
    builds = [("upsampler", upsampler, ("int8",)),
              ("upsampler_linear", lambda: upsampler(None), ("int8", "16x8")),
              ("attention_2d", attention_2d, ("int8", "16x8")),
              ("dot_attention", dot_attention, ("int8", "16x8")),
              ("matmul_ops", matmul_ops, ("int8", "16x8")),
              ("mha_block", mha_block, ("int8",))]
    for name, fn, modes in builds:
        model = fn()
        for mode in modes:
            try:
                data = convert(model, mode)
            except Exception as e:  # report, keep going
                print(f"{name} {mode}: conversion failed: {str(e).splitlines()[0]}",
                      file=sys.stderr)
                continue
            path = os.path.join(OUT, f"{name}_{mode}.tflite")
            with open(path, "wb") as f:
                f.write(data)
            print(f"wrote {path} ({len(data)} bytes)")


if __name__ == "__main__":
    main()
