"""What TFLM accepts, the reader accepts: person_detect.tflite's per-channel biases (1-D,
quantized_dimension 3) load and run bit-exact; truly malformed quantization is still refused.
And a float model's refusal says how to convert a full-integer one."""
from __future__ import annotations

import numpy as np
import pytest

from tflm_py import load_model
from tflm_py.errors import ModelError, UnsupportedError
from tflm_py.hostbuild import run_host
from tflm_py.oracle import run_oracle
from tflm_py.ops import check_model
from tflm_py.simulator import simulate
from tflm_py.testing import ModelBuilder


def _conv_with_bias_qdim(bias_qdim: int, bias_shape=(8,)) -> bytes:
    rng = np.random.default_rng(11)
    b = ModelBuilder()
    x = b.activation((1, 5, 5, 3), scale=0.02, zero_point=-4)
    w_scales = rng.uniform(0.002, 0.02, 8).astype(np.float32)
    w = b.constant(rng.integers(-127, 128, (8, 3, 3, 3)).astype(np.int8), scales=w_scales,
                   zero_points=[0] * 8, quantized_dimension=0)
    bias = b.constant(rng.integers(-2000, 2000, bias_shape).astype(np.int32),
                      scales=w_scales * np.float32(0.02), zero_points=[0] * 8,
                      quantized_dimension=bias_qdim)
    y = b.activation((1, 5, 5, 8), scale=0.05, zero_point=2)
    b.op("CONV_2D", [x, w, bias], [y], padding="SAME", stride_w=1, stride_h=1)
    return b.build([x], [y])


def test_person_detect_bias_quirk_loads_and_runs_bit_exact():
    data = _conv_with_bias_qdim(3)
    m = load_model(data)
    bias = m.tensors[m.operators[0].inputs[2]]
    assert bias.quantization.per_channel and bias.quantization.quantized_dimension == 0
    rng = np.random.default_rng(5)
    samples = [[rng.integers(-128, 128, (1, 5, 5, 3)).astype(np.int8)] for _ in range(3)]
    want = run_oracle(data, samples)
    got = [simulate(m, s) for s in samples]
    for w, g in zip(want, got):
        assert np.array_equal(w[0], g[0])
    host = run_host(m, samples)
    for g, h in zip(got, host):
        assert np.array_equal(g[0], h[0])


def test_scales_that_do_not_fit_are_still_refused():
    with pytest.raises(ModelError, match="quantized_dimension 3 outside its shape"):
        load_model(_conv_with_bias_qdim(3, bias_shape=(2, 4)))


def test_float_model_refusal_names_the_converter_settings():
    b = ModelBuilder()
    x = b.activation((1, 4, 4, 1), dtype=np.float32)
    w = b.constant(np.ones((2, 3, 3, 1), np.float32))
    y = b.activation((1, 4, 4, 2), dtype=np.float32)
    b.op("CONV_2D", [x, w, -1], [y], padding="SAME", stride_w=1, stride_h=1)
    with pytest.raises(UnsupportedError) as e:
        check_model(load_model(b.build([x], [y])))
    msg = str(e.value)
    assert msg.startswith("op #0 CONV_2D")
    for s in ("tf.lite.Optimize.DEFAULT", "representative_dataset", "TFLITE_BUILTINS_INT8",
              "inference_input_type", "inference_output_type"):
        assert s in msg
