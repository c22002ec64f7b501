"""Build the streaming models of tests/data/streaming/: small models that keep state between
invocations in TensorFlow variables, converted by TFLiteConverter with resource variables
(`experimental_enable_resource_variables`) and full-integer int8 quantization, the variables
quantized too. Each .tflite holds subgraph 0 (CALL_ONCE, VAR_HANDLE, READ_VARIABLE, ...,
ASSIGN_VARIABLE) and the init subgraph CALL_ONCE runs (VAR_HANDLE, ASSIGN_VARIABLE of the
initial value).

    /work/tfvenv/bin/python scripts/make_streaming_models.py [--out tests/data/streaming] [NAME...]

Needs tensorflow-cpu (not a test dependency); the .tflite files it writes are committed and
tested by tests/test_streaming.py. Weights are random (seeded).

- ring_conv1d: a ring buffer of the last 3 frames (initially 0.25 everywhere, so the initial
  value is not the zero point) feeding a 3-tap Conv1D, one output frame per input frame;
- accumulator: an exponential moving average of the input (state = 0.75 state + 0.25 x) and
  a dense layer on it;
- two_stage: two streaming Conv1D layers, each with its own ring buffer, the second reading
  the first's output, and the output adding the new state of the second buffer;
- ring_float_state: ring_conv1d converted without variable quantization (the converter's
  default): the variable stays float32, read and written through DEQUANTIZE / QUANTIZE;
- stream_kws: a keyword-spotting-like streaming CNN: a window of the last 5 feature frames
  (10 bins each) as state, Conv2D, depthwise Conv2D, mean, dense, softmax.
"""
from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from full_integer import configure  # noqa: E402


class RingConv1D(tf.Module):
    def __init__(self, rng):
        super().__init__()
        self.frames = tf.Variable(tf.fill([1, 3, 4], 0.25), trainable=False, name="frames")
        self.w = tf.constant(rng.normal(0, 0.5, (3, 4, 6)).astype(np.float32))
        self.b = tf.constant(rng.normal(0, 0.1, (6,)).astype(np.float32))

    @tf.function(input_signature=[tf.TensorSpec([1, 1, 4], tf.float32)])
    def __call__(self, x):
        frames = tf.concat([self.frames[:, 1:], x], axis=1)
        self.frames.assign(frames)
        return tf.nn.relu(tf.nn.conv1d(frames, self.w, stride=1, padding="VALID") + self.b)


class Accumulator(tf.Module):
    def __init__(self, rng):
        super().__init__()
        self.mean = tf.Variable(tf.zeros([1, 8]), trainable=False, name="mean")
        self.w = tf.constant(rng.normal(0, 0.4, (8, 5)).astype(np.float32))
        self.b = tf.constant(rng.normal(0, 0.1, (5,)).astype(np.float32))

    @tf.function(input_signature=[tf.TensorSpec([1, 8], tf.float32)])
    def __call__(self, x):
        mean = 0.75 * self.mean + 0.25 * x
        self.mean.assign(mean)
        return tf.matmul(mean, self.w) + self.b


class TwoStage(tf.Module):
    def __init__(self, rng):
        super().__init__()
        self.buf1 = tf.Variable(tf.zeros([1, 3, 2]), trainable=False, name="buf1")
        self.buf2 = tf.Variable(tf.fill([1, 2, 4], -0.5), trainable=False, name="buf2")
        self.w1 = tf.constant(rng.normal(0, 0.6, (3, 2, 4)).astype(np.float32))
        self.w2 = tf.constant(rng.normal(0, 0.5, (2, 4, 4)).astype(np.float32))

    @tf.function(input_signature=[tf.TensorSpec([1, 1, 2], tf.float32)])
    def __call__(self, x):
        b1 = tf.concat([self.buf1[:, 1:], x], axis=1)
        self.buf1.assign(b1)
        h = tf.nn.relu(tf.nn.conv1d(b1, self.w1, stride=1, padding="VALID"))
        b2 = tf.concat([self.buf2[:, 1:], h], axis=1)
        self.buf2.assign(b2)
        y = tf.nn.conv1d(b2, self.w2, stride=1, padding="VALID")
        return y + self.buf2[:, 1:]


class StreamKWS(tf.Module):
    def __init__(self, rng):
        super().__init__()
        self.frames = tf.Variable(tf.zeros([1, 5, 10, 1]), trainable=False, name="frames")
        self.w1 = tf.constant(rng.normal(0, 0.4, (3, 3, 1, 8)).astype(np.float32))
        self.dw = tf.constant(rng.normal(0, 0.4, (3, 3, 8, 1)).astype(np.float32))
        self.fc = tf.constant(rng.normal(0, 0.3, (8, 4)).astype(np.float32))

    @tf.function(input_signature=[tf.TensorSpec([1, 1, 10, 1], tf.float32)])
    def __call__(self, x):
        frames = tf.concat([self.frames[:, 1:], x], axis=1)
        self.frames.assign(frames)
        h = tf.nn.relu(tf.nn.conv2d(frames, self.w1, 1, "VALID"))
        h = tf.nn.relu(tf.nn.depthwise_conv2d(h, self.dw, [1, 1, 1, 1], "SAME"))
        h = tf.reduce_mean(h, axis=[1, 2])
        return tf.nn.softmax(tf.matmul(h, self.fc))


# name -> (module class, quantize the variables)
MODELS = {"ring_conv1d": (RingConv1D, True), "accumulator": (Accumulator, True),
          "two_stage": (TwoStage, True), "ring_float_state": (RingConv1D, False),
          "stream_kws": (StreamKWS, True)}


def convert(module, seed: int, quantize_variables: bool = True) -> bytes:
    fn = module.__call__.get_concrete_function()
    shape = fn.structured_input_signature[0][0].shape
    rng = np.random.default_rng(seed)

    def representative():
        for _ in range(64):
            yield [rng.uniform(-1, 1, shape).astype(np.float32)]

    conv = tf.lite.TFLiteConverter.from_concrete_functions([fn], module)
    conv.experimental_enable_resource_variables = True
    configure(conv, representative)
    # quantize the variables too (else they stay float32 between QUANTIZE / DEQUANTIZE)
    conv._experimental_variable_quantization = quantize_variables
    return conv.convert()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests",
                                                  "data", "streaming"))
    ap.add_argument("names", nargs="*", help=f"models to build (default all: {', '.join(MODELS)})")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    for name in args.names or MODELS:
        if name not in MODELS:
            print(f"error: no model {name}", file=sys.stderr)
            return 2
        k = list(MODELS).index(name)
        tf.random.set_seed(k)
        cls, quantize_variables = MODELS[name]
        data = convert(cls(np.random.default_rng(100 + k)), seed=k,
                       quantize_variables=quantize_variables)
        path = os.path.join(args.out, f"{name}.tflite")
        with open(path, "wb") as f:
            f.write(data)
        print(f"wrote {path} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
