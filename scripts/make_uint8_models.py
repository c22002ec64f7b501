#!/usr/bin/env python3
"""Build small Keras models and convert them full-integer (int8 weights and activations) with
uint8 inference input and output types, as many tutorials still do
(`inference_input_type = inference_output_type = tf.uint8`): the converter puts a QUANTIZE
uint8 -> int8 after the input and a QUANTIZE int8 -> uint8 before the output. Writes
tests/data/uint8/*.tflite (committed; TensorFlow is not a test dependency).

    /work/tfvenv/bin/python scripts/make_uint8_models.py [out_dir]
"""
import os
import sys

import numpy as np
import tensorflow as tf
from full_integer import convert_keras  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "uint8")
keras = tf.keras
L = keras.layers


def small_cnn():
    """An image classifier on 16x16 RGB (pixel values 0..1): conv, depthwise, pool, dense,
    softmax."""
    x = keras.Input((16, 16, 3), batch_size=1)
    y = L.Conv2D(8, 3, strides=2, padding="same", activation="relu")(x)
    y = L.DepthwiseConv2D(3, padding="same", activation="relu")(y)
    y = L.Conv2D(12, 1, activation="relu")(y)
    y = L.MaxPooling2D(2)(y)
    y = L.Flatten()(y)
    y = L.Dense(6)(y)
    y = L.Softmax()(y)
    return keras.Model(x, y), (1, 16, 16, 3), "image"


def mlp():
    """A regression MLP on 20 features (standard normal); linear output of 3 values."""
    x = keras.Input((20,), batch_size=1)
    y = L.Dense(32, activation="relu")(x)
    y = L.Dense(16, activation="tanh")(y)
    y = L.Dense(3)(y)
    return keras.Model(x, y), (1, 20), "normal"


def convert(model, shape, kind, seed):
    rng = np.random.default_rng(seed)

    def rep():
        for _ in range(64):
            if kind == "image":
                yield [rng.uniform(0, 1, shape).astype(np.float32)]
            else:
                yield [(rng.standard_normal(shape) * 2).astype(np.float32)]

    return convert_keras(model, rep, io="uint8")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else OUT
    os.makedirs(out, exist_ok=True)
    tf.keras.utils.set_random_seed(12)
    for i, (name, fn) in enumerate([("small_cnn_uint8", small_cnn), ("mlp_uint8", mlp)]):
        model, shape, kind = fn()
        data = convert(model, shape, kind, 200 + i)
        path = os.path.join(out, name + ".tflite")
        with open(path, "wb") as f:
            f.write(data)
        print(f"wrote {path} ({len(data)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
