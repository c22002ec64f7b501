#!/usr/bin/env python3
"""Build small Keras models and convert them 16x8 (int16 activations, int8 weights) with the
converter's EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8 mode, int16 inputs and
outputs; writes tests/data/int16/*.tflite (committed; TensorFlow is not a test dependency).

    /work/tfvenv/bin/python scripts/make_int16_models.py
"""
import os
import sys

import numpy as np
import tensorflow as tf
from full_integer import convert_keras  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "int16")
keras = tf.keras
L = keras.layers


def ds_cnn_like():
    x = keras.Input((24, 10, 1), batch_size=1)
    y = L.Conv2D(16, (5, 3), strides=(2, 2), padding="same", activation="relu")(x)
    for _ in range(2):
        y = L.DepthwiseConv2D(3, padding="same")(y)
        y = L.BatchNormalization()(y)
        y = L.ReLU()(y)
        y = L.Conv2D(16, 1, activation="relu")(y)
    y = L.AveragePooling2D((12, 5))(y)
    y = L.Flatten()(y)
    y = L.Dense(6)(y)
    return keras.Model(x, y), (1, 24, 10, 1)


def resnet8_like():
    x = keras.Input((16, 16, 3), batch_size=1)
    y = L.Conv2D(8, 3, padding="same", activation="relu")(x)
    s = y
    y = L.Conv2D(8, 3, padding="same", activation="relu")(y)
    y = L.Conv2D(8, 3, padding="same")(y)
    y = L.ReLU()(L.Add()([y, s]))
    y = L.Conv2D(16, 3, strides=2, padding="same", activation="relu")(y)
    y = L.MaxPooling2D(2)(y)
    y = L.AveragePooling2D(4)(y)
    y = L.Flatten()(y)
    y = L.Dense(10)(y)
    return keras.Model(x, y), (1, 16, 16, 3)


def dense_regression():
    x = keras.Input((12,), batch_size=1)
    y = L.Dense(32, activation="relu")(x)
    y = L.Dense(16, activation="relu")(y)
    y = L.Dense(1)(y)
    return keras.Model(x, y), (1, 12)


def sequence_dense():
    """A Dense on a sequence: a 3-D FULLY_CONNECTED output."""
    x = keras.Input((8, 6), batch_size=1)
    y = L.Dense(10, activation="relu")(x)
    y = L.Dense(4)(y)
    return keras.Model(x, y), (1, 8, 6)


def convert(model, shape, seed):
    rng = np.random.default_rng(seed)

    def rep():
        for _ in range(64):
            yield [rng.standard_normal(shape).astype(np.float32)]

    return convert_keras(model, rep, activations="int16")


def main():
    os.makedirs(OUT, exist_ok=True)
    tf.keras.utils.set_random_seed(7)
    for i, (name, fn) in enumerate([("ds_cnn_like_16x8", ds_cnn_like),
                                    ("resnet8_like_16x8", resnet8_like),
                                    ("dense_regression_16x8", dense_regression),
                                    ("sequence_dense_16x8", sequence_dense)]):
        model, shape = fn()
        data = convert(model, shape, i)
        path = os.path.join(OUT, name + ".tflite")
        with open(path, "wb") as f:
            f.write(data)
        print(f"wrote {path} ({len(data)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
