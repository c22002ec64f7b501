"""Random int16 -> int16 single-op models of the table-based activations: LOGISTIC, TANH
(power-of-two, nearly power-of-two and general input scales, which take different paths in
TFLM's Prepare) and SOFTMAX (any input scale and beta; zero points 0 and output scale
1/32768, as TFLM requires); and the 16x8 UNIDIRECTIONAL_SEQUENCE_LSTM (int16 input / hidden
state / output, int8 weights, int64 biases) and int16 PACK."""
from __future__ import annotations

import numpy as np

from ..testing import ModelBuilder
from .elementwise import _log_uniform, _unary

OUT_SCALE_Q15 = 1.0 / 32768


def _sigmoid_input_scale(rng) -> float:
    """Input scales that exercise each branch of TFLM's int16 LOGISTIC / TANH Prepare."""
    r = rng.random()
    if r < 0.3:     # exact powers of two, around the special-cased 2^-12 / 2^-11
        return float(2.0 ** int(rng.integers(-16, -6)))
    if r < 0.45:    # within CheckedLog2's 1e-3 tolerance of a power of two, or just outside
        e = int(rng.integers(-14, -9))
        tol = float(rng.choice([2e-4, 6e-4, 9e-4, 1.2e-3, 3e-3]))
        return float(np.float32(2.0 ** (e + float(rng.uniform(-tol, tol)))))
    if r < 0.55:    # small or large extremes
        return _log_uniform(rng, 1e-7, 1e-5) if rng.random() < 0.5 else \
            _log_uniform(rng, 0.05, 2.0)
    return _log_uniform(rng, 1e-5, 0.05)


def _out_scale(rng) -> float:
    # CheckedLog2 accepts output scales within its tolerance of 2^-15
    return OUT_SCALE_Q15 if rng.random() < 0.85 else \
        float(np.float32(OUT_SCALE_Q15 * 2.0 ** float(rng.uniform(-5e-4, 5e-4))))


def gen_logistic_16(rng: np.random.Generator) -> bytes:
    return _unary("LOGISTIC", rng, (_sigmoid_input_scale(rng), 0), (_out_scale(rng), 0),
                  np.int16, np.int16)


def gen_tanh_16(rng: np.random.Generator) -> bytes:
    return _unary("TANH", rng, (_sigmoid_input_scale(rng), 0), (_out_scale(rng), 0),
                  np.int16, np.int16)


def gen_softmax_16(rng: np.random.Generator) -> bytes:
    rank = int(rng.choice([1, 2, 2, 3, 4]))
    while True:
        shape = [int(d) for d in rng.integers(1, 6, size=rank)]
        shape[-1] = int(rng.choice([1, 2, 3, 10, 33, 100, 300])) if rng.random() < 0.5 \
            else int(rng.integers(1, 64))
        if int(np.prod(shape)) <= 1024:
            break
    r = rng.random()
    if r < 0.2:
        scale = float(2.0 ** int(rng.integers(-16, -5)))
    elif r < 0.3:
        scale = _log_uniform(rng, 1e-7, 1e-5)
    else:
        scale = _log_uniform(rng, 1e-5, 2e-2)
    beta = 1.0 if rng.random() < 0.6 else float(np.float32(_log_uniform(rng, 0.05, 5.0)))
    b = ModelBuilder()
    x = b.activation(tuple(shape), np.int16, scale, 0)
    y = b.activation(tuple(shape), np.int16, OUT_SCALE_Q15, 0)
    b.op("SOFTMAX", [x], [y], beta=beta)
    return b.build(inputs=[x], outputs=[y])


GENERATORS = {
    "LOGISTIC/int16": gen_logistic_16,
    "TANH/int16": gen_tanh_16,
    "SOFTMAX/int16": gen_softmax_16,
}


def gen_lstm_16(rng: np.random.Generator) -> bytes:
    from .recurrent import lstm_model
    return lstm_model(rng, act_dtype=np.int16)


GENERATORS["UNIDIRECTIONAL_SEQUENCE_LSTM/int16"] = gen_lstm_16


def gen_pack_16(rng: np.random.Generator) -> bytes:
    from .shape_ops import gen_pack
    return gen_pack(rng, np.int16)


GENERATORS["PACK/int16"] = gen_pack_16
