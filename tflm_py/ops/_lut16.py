"""int16 activation arithmetic shared by LOGISTIC, TANH and SOFTMAX (int16 -> int16), as
TFLM micro computes it. Not a room (declares no OPS).

- LOGISTIC / TANH (logistic_common.cc, tanh.cc Prepare; reference_integer_ops::Logistic /
  Tanh for int16): the input is rescaled to units of 1/(3 * 4096) (2^-12 * 3/4, so the
  table's [0, 255/24] spans [0, 10.6]) by an integer multiplier and right shift, then read
  from a 256-entry sigmoid table with linear interpolation on its absolute value. A scale
  that CheckedLog2 calls a power of two (log2 within 1e-3 of an integer, in float32) with
  the right exponent skips the general multiplier: the multiplier is 3 (tanh: 3 or 6).
- SOFTMAX (softmax_common.cc, reference_ops::SoftmaxInt16): two 513-entry int16 tables
  (exp on [-10, 0], 1/(1+x) on [0, 1]) generated in float32 by TFLM's gen_lut, read with
  lut_lookup's 7-bit linear interpolation.

The float steps use the C library's logf / expf (TFLM's std::log / std::exp on float), so the
tables equal those of the x86-64 TFLM build. C twins: kernels_c/sigmoid_s16.c,
kernels_c/softmax_s16.c.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
import math

import numpy as np

# sigmoid(i / 24) in Q0.16 for i = 0..255 (the last entry saturated to 65535): the table of
# CMSIS-NN's arm_nntables.c that TFLM's int16 LOGISTIC and TANH read. Its entries are not a
# plain rounding of the real function (some are one above), so they are kept as data.
SIGMOID_TABLE_U16 = (
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149,
    40794, 41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369,
    47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409, 51865, 52311, 52745, 53169,
    53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
    57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370,
    60565, 60753, 60935, 61110, 61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302,
    62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186, 63279, 63368, 63454, 63536,
    63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
    64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786,
    64816, 64845, 64873, 64900, 64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079,
    65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234, 65246, 65258,
    65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
    65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433,
    65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474,
    65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491, 65493, 65495, 65497, 65498,
    65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
    65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522,
    65523, 65523, 65524, 65524, 65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528,
    65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530, 65530, 65530, 65531, 65531,
    65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
    65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534,
    65534, 65534, 65534, 65535,
)
_TABLE = np.array(SIGMOID_TABLE_U16, dtype=np.int64)

LUT16_SIZE = 513        # 512 interpolation intervals + the end point


def _libm_f32(name: str):
    try:
        f = getattr(ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6"), name)
    except (OSError, AttributeError):  # pragma: no cover - every libc has logf / expf
        return None
    f.restype = ctypes.c_float
    f.argtypes = [ctypes.c_float]
    return f


_LOGF = _libm_f32("logf")
_EXPF = _libm_f32("expf")


def _f32(fn, v: np.float32, fallback) -> np.float32:
    if fn is None:  # pragma: no cover
        return np.float32(fallback(float(v)))
    return np.float32(fn(float(v)))


def _roundf(v) -> np.float32:
    """std::round on float: half away from zero."""
    v = np.float32(v)
    return np.float32(math.copysign(math.floor(abs(float(v)) + 0.5), float(v)))


def checked_log2(scale: float) -> tuple[bool, int]:
    """TFLM CheckedLog2 on a float32 scale: (is a power of two within 1e-3 in log2, rounded
    log2). Float32 steps: logf(x) * (1 / logf(2))."""
    x = np.float32(scale)
    inv_ln2 = np.float32(1.0) / _f32(_LOGF, np.float32(2.0), math.log)
    lg = np.float32(_f32(_LOGF, x, math.log) * inv_ln2)
    r = _roundf(lg)
    frac = np.float32(lg - r)
    return bool(abs(float(frac)) < 1e-3), int(r)


# ---- LOGISTIC / TANH int16

def sigmoid_params(scale: float, tanh: bool) -> tuple[int, int, bool]:
    """(input_multiplier, input_right_shift, power_of_two) as the kernel applies them:
    the Eval-time substitution of a power-of-two scale (multiplier 3 << shift, shift 0) is
    already made. TFLM names the shift input_left_shift; it shifts right."""
    pot, log2 = checked_log2(scale)
    shift = (15 - 3) + log2
    pot = pot and (shift in (0, 1) if tanh else shift == 0)
    if pot:
        return 3 << shift, 0, True
    m = float(np.float32(scale)) * 4096.0 * 3.0
    shift = 0
    while m <= 32767.0 / 2.0 and shift <= 30:
        shift += 1
        m *= 2.0
    return int(m), shift, False


def _rescale(x, mult: int, shift: int) -> np.ndarray:
    rnd = (1 << (shift - 1)) if shift > 0 else 0
    return (np.asarray(x, dtype=np.int64) * mult + rnd) >> shift


def logistic_s16(x, mult: int, shift: int) -> np.ndarray:
    """reference_integer_ops::Logistic, int16: output Q0.15."""
    v = _rescale(x, mult, shift)
    a = np.abs(v)
    uh = a >> 9
    sat = uh >= 255
    idx = np.where(sat, 0, uh)
    ua, ub = _TABLE[idx], _TABLE[idx + 1]
    r = np.where(sat, 0x7FFF << 10, (ua << 9) + (a & 0x1FF) * (ub - ua))
    r = np.where(v >= 0, r + (1 << 9), (1 << 25) - r + (1 << 9) - 1)
    return (r >> 10).astype(np.int16)


def tanh_s16(x, mult: int, shift: int) -> np.ndarray:
    """reference_integer_ops::Tanh, int16: output Q0.15 (tanh(x) = 2 sigmoid(2x) - 1)."""
    v = _rescale(x, mult, shift)
    a = np.abs(v)
    uh = a >> 8
    sat = uh >= 255
    idx = np.where(sat, 0, uh)
    ua, ub = _TABLE[idx], _TABLE[idx + 1]
    r = np.where(sat, 0xFFFF << 8, (ua << 8) + (a & 0xFF) * (ub - ua))
    r = np.where(v >= 0, r - (1 << 23) + (1 << 7), -r + (1 << 23) + (1 << 7) - 1)
    return (r >> 8).astype(np.int16)


# ---- SOFTMAX int16 tables

def gen_lut_s16(func, input_min: float, input_max: float) -> np.ndarray:
    """TFLM gen_lut<float, int16_t, int16_t> with output range [-1, 1]: 512 samples, each
    biased by half the error of linear interpolation at the interval's midpoint, plus the end
    point; every step in float32."""
    f = np.float32
    lo, hi = f(input_min), f(input_max)
    steps = 512
    step = f((hi - lo) / f(steps))
    half = f(step / f(2))
    inv = f(f(65536.0) / f(f(1.0) - f(-1.0)))
    lut = np.zeros(LUT16_SIZE, dtype=np.int16)
    for i in range(steps):
        x0 = f(lo + f(f(i) * step))
        val = func(x0)
        mid = func(f(x0 + half))
        nxt = func(f(lo + f(f(i + 1) * step)))
        sample = _roundf(f(val * inv))
        interp = _roundf(f(f(f(nxt * inv) + _roundf(f(val * inv))) / f(2)))
        err = f(interp - _roundf(f(mid * inv)))
        bias = _roundf(f(err / f(2)))
        lut[i] = int(min(max(float(f(sample - bias)), -32768.0), 32767.0))
    lut[steps] = int(min(max(float(_roundf(f(func(hi) * inv))), -32768.0), 32767.0))
    return lut


def _exp_f32(v: np.float32) -> np.float32:
    return _f32(_EXPF, v, math.exp)


def _one_over_one_plus_x_f32(v: np.float32) -> np.float32:
    return np.float32(np.float32(1.0) / np.float32(np.float32(1.0) + v))


@functools.lru_cache(maxsize=None)
def softmax_exp_lut() -> np.ndarray:
    """exp on [-10, 0] (read-only, shared)."""
    lut = gen_lut_s16(_exp_f32, -10.0, 0.0)
    lut.flags.writeable = False
    return lut


@functools.lru_cache(maxsize=None)
def softmax_recip_lut() -> np.ndarray:
    """1 / (1 + x) on [0, 1] (read-only, shared)."""
    lut = gen_lut_s16(_one_over_one_plus_x_f32, 0.0, 1.0)
    lut.flags.writeable = False
    return lut


def lut_lookup_s16(value, lut) -> np.ndarray:
    """TFLM lut_lookup for int16 values: base lut[256 + (v >> 7)] plus the slope to the next
    entry times the low 7 bits, rounded; int16 wrap-around as the C casts give."""
    v = np.asarray(value, dtype=np.int64)
    lut = np.asarray(lut, dtype=np.int64)
    idx = 256 + (v >> 7)
    off = v & 0x7F
    base = lut[idx]
    slope = ((lut[idx + 1] - base + 32768) & 0xFFFF) - 32768
    return (((base + ((slope * off + 64) >> 7)) + 32768) & 0xFFFF) - 32768


# ---- LOGISTIC / TANH int16 room parts

def check_sigmoid_s16(op, model, tanh: bool) -> None:
    """int16 -> int16 LOGISTIC / TANH as TFLM's Prepare accepts them: zero points 0, output
    scale 2^-15, and an input scale whose multiplier fits 15 bits (TFLM asserts it)."""
    from ..errors import UnsupportedError
    x = model.tensor(op.inputs[0])
    y = model.tensor(op.outputs[0])
    if y.dtype != np.dtype(np.int16):
        raise UnsupportedError(f"int16 input needs an int16 output, got {y.type_name}")
    for t, what in ((x, "input"), (y, "output")):
        if t.quantization is None or len(t.quantization.scales) == 0:
            raise UnsupportedError(f"{what} tensor has no quantization parameters")
        if t.quantization.zero_point != 0:
            raise UnsupportedError(f"int16 {what} must have zero point 0 (TFLM requires it)")
    if x.size != y.size:
        raise UnsupportedError("input and output must have the same number of elements")
    pot, log2 = checked_log2(float(y.quantization.scale))
    if not pot or log2 != -15:
        raise UnsupportedError(f"int16 output scale must be 2^-15 (TFLM requires it), got "
                               f"{float(y.quantization.scale):g}")
    mult, _, _ = sigmoid_params(float(x.quantization.scale), tanh)
    if mult > 32767:
        raise UnsupportedError(f"int16 input scale {float(x.quantization.scale):g} is too "
                               "large (TFLM's input multiplier must fit 15 bits)")


def prepare_sigmoid_s16(op, model, tanh: bool):
    from types import SimpleNamespace
    x = model.tensor(op.inputs[0])
    mult, shift, pot = sigmoid_params(float(x.quantization.scale), tanh)
    return SimpleNamespace(int16=True, tanh=tanh, size=int(x.size), input_multiplier=mult,
                           input_shift=shift, power_of_two=pot)


def simulate_sigmoid_s16(op, model, params, inputs):
    y = model.tensor(op.outputs[0])
    fn = tanh_s16 if params.tanh else logistic_s16
    return [fn(inputs[0], params.input_multiplier, params.input_shift).reshape(y.shape)]


def emit_sigmoid_s16(op, model, params, cg) -> str:
    cg.use_kernel("sigmoid_s16")
    hint = f"{op.type.lower()}_{op.index}"
    fields = {"size": params.size, "input_multiplier": params.input_multiplier,
              "input_shift": params.input_shift}
    name = cg.param_struct("tflm_sigmoid_s16_params_t", fields, hint)
    fn = "tflm_tanh_s16" if params.tanh else "tflm_logistic_s16"
    return f"{fn}(&{name}, {cg.ptr(op.inputs[0])}, {cg.ptr(op.outputs[0])});"
