#!/usr/bin/env python3
"""Stand-ins for the MLPerf Tiny models the speed anchor measures but the repository does not
carry (../shared/anchors/cmsis-nn-cortex-m4.md lists every layer's shape): Keras models with
exactly those layer shapes and random (seeded) weights, converted full-integer int8 with int8
input and output; writes tests/data/mlperf/*.tflite (committed; TensorFlow is not a test
dependency). Their weights are not trained, so only their speed and exactness mean anything.

    /work/tfvenv/bin/python scripts/make_mlperf_standins.py

* vww_96_standin: MobileNetV1 alpha 0.25 on 96x96x3 (MLPerf Tiny visual wake words).
* person_detect_standin: the same body on 96x96x1, a 3x3/2 average pool and a 1x1 conv head
  (TFLM's person_detection example).
* resnet8_standin: MLPerf Tiny ResNet-8 (image classification, CIFAR-10 32x32x3).
"""
import os

import numpy as np
import tensorflow as tf
from full_integer import convert_keras  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "mlperf")
keras = tf.keras
L = keras.layers

# (pointwise output channels, depthwise stride) of MobileNetV1-0.25's 13 separable blocks
MOBILENET_BLOCKS = [(16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2), (128, 1), (128, 1),
                    (128, 1), (128, 1), (128, 1), (256, 2), (256, 1)]


def _init(seed):
    return keras.initializers.GlorotUniform(seed=seed)


def _mobilenet_body(x, seed):
    if x.shape[-1] == 1:
        # person_detect's stem: a depthwise 3x3 with multiplier 8 on the grey image
        y = L.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=8,
                              depthwise_initializer=_init(seed))(x)
    else:
        y = L.Conv2D(8, 3, strides=2, padding="same", kernel_initializer=_init(seed))(x)
    y = L.BatchNormalization()(y)
    y = L.ReLU(6.0)(y)
    for i, (filters, stride) in enumerate(MOBILENET_BLOCKS):
        y = L.DepthwiseConv2D(3, strides=stride, padding="same",
                              depthwise_initializer=_init(seed + 2 * i + 1))(y)
        y = L.BatchNormalization()(y)
        y = L.ReLU(6.0)(y)
        y = L.Conv2D(filters, 1, kernel_initializer=_init(seed + 2 * i + 2))(y)
        y = L.BatchNormalization()(y)
        y = L.ReLU(6.0)(y)
    return y


def vww_96(seed=10):
    x = keras.Input((96, 96, 3), batch_size=1)
    y = _mobilenet_body(x, seed)
    y = L.AveragePooling2D(3)(y)                       # 3x3x256 -> 1x1x256
    y = L.Flatten()(y)
    y = L.Dense(2, kernel_initializer=_init(seed + 99))(y)
    y = L.Softmax()(y)
    return keras.Model(x, y), (1, 96, 96, 3)


def person_detect(seed=40):
    x = keras.Input((96, 96, 1), batch_size=1)
    y = _mobilenet_body(x, seed)
    y = L.AveragePooling2D(3, strides=2)(y)
    y = L.Conv2D(2, 1, kernel_initializer=_init(seed + 99))(y)
    y = L.Reshape((2,))(y)
    y = L.Softmax()(y)
    return keras.Model(x, y), (1, 96, 96, 1)


def resnet8(seed=70):
    """MLPerf Tiny's ResNet-8: a 3x3 stem, three residual stacks (16, 32, 64 filters; the
    second and third stride 2 with a 1x1 stride-2 shortcut), 8x8 average pool, dense 10."""
    k = iter(range(seed, seed + 100))
    x = keras.Input((32, 32, 3), batch_size=1)
    y = L.Conv2D(16, 3, padding="same", kernel_initializer=_init(next(k)))(x)
    y = L.BatchNormalization()(y)
    y = L.ReLU()(y)
    for filters, stride in ((16, 1), (32, 2), (64, 2)):
        s = y
        y = L.Conv2D(filters, 3, strides=stride, padding="same",
                     kernel_initializer=_init(next(k)))(y)
        y = L.BatchNormalization()(y)
        y = L.ReLU()(y)
        y = L.Conv2D(filters, 3, padding="same", kernel_initializer=_init(next(k)))(y)
        y = L.BatchNormalization()(y)
        if stride != 1:
            s = L.Conv2D(filters, 1, strides=stride, padding="same",
                         kernel_initializer=_init(next(k)))(s)
        y = L.ReLU()(L.Add()([y, s]))
    y = L.AveragePooling2D(8)(y)
    y = L.Flatten()(y)
    y = L.Dense(10, kernel_initializer=_init(next(k)))(y)
    y = L.Softmax()(y)
    return keras.Model(x, y), (1, 32, 32, 3)


def _randomise_batchnorm(model, rng):
    """Untrained batch norms are identities; give them spread so per-channel scales differ
    as in a trained model."""
    for layer in model.layers:
        if isinstance(layer, L.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            n = gamma.shape[0]
            layer.set_weights([rng.uniform(0.5, 1.5, n).astype(np.float32),
                               rng.uniform(-0.2, 0.2, n).astype(np.float32),
                               rng.uniform(-0.2, 0.2, n).astype(np.float32),
                               rng.uniform(0.5, 1.5, n).astype(np.float32)])


def convert(model, shape, seed):
    rng = np.random.default_rng(seed)
    _randomise_batchnorm(model, rng)

    def rep():
        for _ in range(32):
            yield [rng.uniform(-1.0, 1.0, shape).astype(np.float32)]

    return convert_keras(model, rep)


MODELS = {"vww_96_standin": vww_96, "person_detect_standin": person_detect,
          "resnet8_standin": resnet8}


def main():
    tf.keras.utils.set_random_seed(0)
    os.makedirs(OUT, exist_ok=True)
    for i, (name, build) in enumerate(MODELS.items()):
        model, shape = build()
        data = convert(model, shape, seed=1000 + i)
        path = os.path.join(OUT, name + ".tflite")
        with open(path, "wb") as f:
            f.write(data)
        print(f"{path}: {len(data):,} bytes")


if __name__ == "__main__":
    main()
