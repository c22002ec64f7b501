#!/usr/bin/env python3
"""Build small Keras models ending in (or gated by) SOFTMAX, LOGISTIC and TANH and convert them
16x8 (int16 activations, int8 weights; the converter's
EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8 mode) with int16 inputs and
outputs; writes tests/data/int16/*_act_16x8.tflite (committed; TensorFlow is not a test
dependency).

    /work/tfvenv/bin/python scripts/make_int16_act_models.py [out_dir]
"""
import os
import sys

import numpy as np
import tensorflow as tf
from full_integer import convert_keras  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "int16")
keras = tf.keras
L = keras.layers


def softmax_classifier():
    """Conv features, pooling, a Dense head and a softmax over 8 classes."""
    x = keras.Input((12, 12, 2), batch_size=1)
    y = L.Conv2D(8, 3, padding="same", activation="relu")(x)
    y = L.MaxPooling2D(2)(y)
    y = L.Conv2D(12, 3, padding="same", activation="relu")(y)
    y = L.AveragePooling2D(3)(y)
    y = L.Flatten()(y)
    y = L.Dense(8)(y)
    y = L.Softmax()(y)
    return keras.Model(x, y), (1, 12, 12, 2)


def gated_sigmoid_tanh():
    """A GLU-style gate: tanh(Dense(x)) * sigmoid(Dense(x)), then a sigmoid score."""
    x = keras.Input((16,), batch_size=1)
    h = L.Dense(24)(x)
    a = L.Activation("tanh")(h)
    g = L.Activation("sigmoid")(L.Dense(24)(x))
    y = L.Multiply()([a, g])
    y = L.Dense(4)(y)
    y = L.Activation("sigmoid")(y)
    return keras.Model(x, y), (1, 16)


def sequence_softmax():
    """Softmax over the last axis of a 3-D tensor (attention-like row weights)."""
    x = keras.Input((6, 10), batch_size=1)
    y = L.Dense(12, activation="tanh")(x)
    y = L.Dense(5)(y)
    y = L.Softmax(axis=-1)(y)
    return keras.Model(x, y), (1, 6, 10)


def se_block_classifier():
    """Conv with swish (LOGISTIC x MUL), a squeeze-and-excitation gate (MEAN, Dense, sigmoid,
    broadcast MUL), a tanh conv and a softmax head."""
    x = keras.Input((8, 8, 4), batch_size=1)
    y = L.Conv2D(8, 3, padding="same")(x)
    y = L.Activation("swish")(y)
    s = L.GlobalAveragePooling2D()(y)
    s = L.Dense(4, activation="relu")(s)
    s = L.Dense(8, activation="sigmoid")(s)
    s = L.Reshape((1, 1, 8))(s)
    y = L.Multiply()([y, s])
    y = L.Conv2D(4, 1, activation="tanh")(y)
    y = L.Flatten()(y)
    y = L.Dense(5, activation="softmax")(y)
    return keras.Model(x, y), (1, 8, 8, 4)


def wavenet_gate():
    """A WaveNet-style gated 1-D conv: tanh(conv) * sigmoid(conv), pooled, sigmoid scores."""
    x = keras.Input((16, 3), batch_size=1)
    y = L.Conv1D(8, 3, padding="same", activation="tanh")(x)
    g = L.Conv1D(8, 3, padding="same", activation="sigmoid")(x)
    y = L.Multiply()([y, g])
    y = L.GlobalAveragePooling1D()(y)
    y = L.Dense(3, activation="sigmoid")(y)
    return keras.Model(x, y), (1, 16, 3)


def convert(model, shape, seed):
    rng = np.random.default_rng(seed)

    def rep():
        for _ in range(64):
            yield [(rng.standard_normal(shape) * 2).astype(np.float32)]

    return convert_keras(model, rep, activations="int16")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else OUT
    os.makedirs(out, exist_ok=True)
    tf.keras.utils.set_random_seed(11)
    for i, (name, fn) in enumerate([("softmax_classifier_act_16x8", softmax_classifier),
                                    ("gated_sigmoid_tanh_act_16x8", gated_sigmoid_tanh),
                                    ("sequence_softmax_act_16x8", sequence_softmax),
                                    ("se_block_act_16x8", se_block_classifier),
                                    ("wavenet_gate_act_16x8", wavenet_gate)]):
        model, shape = fn()
        data = convert(model, shape, 100 + i)
        path = os.path.join(out, name + ".tflite")
        with open(path, "wb") as f:
            f.write(data)
        print(f"wrote {path} ({len(data)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
