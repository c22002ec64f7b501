"""Models with uint8 inputs and outputs (the converter's `inference_input_type = tf.uint8`):
QUANTIZE uint8 -> int8 and int8 -> uint8 and DEQUANTIZE uint8 -> float32, bit-exact with TFLM
in the simulator and the generated C; the other uint8 pairs refused as TFLM refuses them;
converter-made models (scripts/make_uint8_models.py, tests/data/uint8/) equal in TFLM, the
simulator, host C and on the QEMU board; uint8 input files."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from conftest import ROOT
from tflm_py import load_model, ops
from tflm_py.errors import UnsupportedError
from tflm_py.hostbuild import run_host_many
from tflm_py.inputs import InputError, default_samples, load_single, model_specs
from tflm_py.oracle import run_oracle
from tflm_py.simulator import Simulator
from tflm_py.testing import ModelBuilder

DATA = ROOT / "tests" / "data" / "uint8"
NAMES = ["small_cnn_uint8", "mlp_uint8"]


def _one_op(op_type, in_dtype, out_dtype, qi, qo, shape=(256,)):
    b = ModelBuilder()
    x = b.activation(shape, in_dtype, *qi) if qi else b.activation(shape, in_dtype)
    y = b.activation(shape, out_dtype, *qo) if qo else b.activation(shape, out_dtype)
    b.op(op_type, [x], [y])
    return b.build([x], [y])


def _every_value(dtype, n=256):
    info = np.iinfo(dtype)
    return np.arange(info.min, info.max + 1, dtype=np.int64)[:n].astype(dtype)


# every input value of each pair, at equal scales 128 apart (TFLM's bit-flip shortcut), at
# equal scales with another zero point offset, and at scales that saturate both ends
EDGE_CASES = [
    ("QUANTIZE", np.uint8, np.int8, (0.0039, 128), (0.0039, 0)),
    ("QUANTIZE", np.uint8, np.int8, (0.0039, 0), (0.0039, -128)),
    ("QUANTIZE", np.uint8, np.int8, (0.02, 100), (0.02, 5)),
    ("QUANTIZE", np.uint8, np.int8, (0.05, 17), (0.011, -3)),
    ("QUANTIZE", np.int8, np.uint8, (0.0039, 0), (0.0039, 128)),
    ("QUANTIZE", np.int8, np.uint8, (0.0039, -128), (0.0039, 0)),
    ("QUANTIZE", np.int8, np.uint8, (0.03, -7), (0.017, 131)),
    ("QUANTIZE", np.int8, np.uint8, (0.01, 20), (0.08, 255)),
    ("DEQUANTIZE", np.uint8, np.float32, (0.0039, 128), None),
    ("DEQUANTIZE", np.uint8, np.float32, (0.7, 3), None),
]


def test_uint8_conversions_every_value_tflm_simulator_host_c(tmp_path):
    models, samples = [], []
    for op_type, a, b, qi, qo in EDGE_CASES:
        m = load_model(_one_op(op_type, a, b, qi, qo))
        ops.check_model(m)
        x = _every_value(a)
        models.append(m)
        samples.append([[x], [x[::-1].copy()]])
    outs = run_host_many(models, samples, sanitize=True, work_dir=tmp_path)
    for case, m, smp, c_out in zip(EDGE_CASES, models, samples, outs):
        sim = Simulator(m)
        for x, ref, got_c in zip(smp, run_oracle(m.data, smp), c_out):
            got = sim.run(x)[0]
            assert got.dtype == ref[0].dtype and np.array_equal(got, ref[0]), case
            assert np.array_equal(np.asarray(got_c[0]).reshape(ref[0].shape), ref[0]), case


REFUSED = [("QUANTIZE", np.uint8, np.uint8, (0.1, 128), (0.2, 128)),
           ("QUANTIZE", np.uint8, np.int16, (0.1, 128), (0.001, 0)),
           ("QUANTIZE", np.uint8, np.int32, (0.1, 128), (0.001, 0)),
           ("QUANTIZE", np.float32, np.uint8, None, (0.1, 128)),
           ("QUANTIZE", np.int16, np.uint8, (0.001, 0), (0.1, 128)),
           ("QUANTIZE", np.int32, np.uint8, (0.001, 0), (0.1, 128))]


@pytest.mark.parametrize("case", REFUSED, ids=[f"{np.dtype(c[1]).name}-{np.dtype(c[2]).name}"
                                               for c in REFUSED])
def test_uint8_pairs_tflm_refuses_are_refused(case):
    op_type, a, b, qi, qo = case
    data = _one_op(op_type, a, b, qi, qo, shape=(4,))
    with pytest.raises(RuntimeError):     # TFLM: "Input ..., output ... not supported."
        run_oracle(data, [[np.zeros(4, a)]])
    m = load_model(data)
    with pytest.raises(UnsupportedError, match="not a conversion TFLM's QUANTIZE runs"):
        ops.check_model(m)


def _models():
    return [load_model(str(DATA / f"{n}.tflite")) for n in NAMES]


def test_converted_uint8_models_tflm_simulator_host_c(tmp_path):
    models = _models()
    samples = []
    for m in models:
        ti, to = m.tensors[m.inputs[0]], m.tensors[m.outputs[0]]
        assert ti.dtype == np.uint8 and to.dtype == np.uint8
        kinds = [(m.tensors[op.inputs[0]].dtype, m.tensors[op.outputs[0]].dtype)
                 for op in m.operators if op.type == "QUANTIZE"]
        assert (np.uint8, np.int8) in kinds and (np.int8, np.uint8) in kinds
        # min, max, zero point and random samples
        samples.append(list(default_samples(model_specs(m), 7, seed=3)))
    outs = run_host_many(models, samples, sanitize=True, work_dir=tmp_path)
    for name, m, smp, c_out in zip(NAMES, models, samples, outs):
        sim = Simulator(m)
        distinct = set()
        for x, ref, got_c in zip(smp, run_oracle(m.data, smp), c_out):
            got = sim.run(x)[0]
            assert got.dtype == np.uint8 and np.array_equal(got, ref[0]), name
            assert np.array_equal(np.asarray(got_c[0]).reshape(ref[0].shape), ref[0]), name
            distinct.update(ref[0].ravel().tolist())
        assert len(distinct) > 4, name


def test_uint8_input_files(tmp_path):
    m = load_model(str(DATA / "mlp_uint8.tflite"))
    spec = model_specs(m)[0]
    s = default_samples([spec], 4)
    assert (s[1][0] == 0).all() and (s[2][0] == 255).all()
    assert (s[3][0] == spec.zero_point).all() and spec.zero_point > 0
    x = np.arange(200, 220, dtype=np.uint8).reshape(spec.shape)
    np.save(tmp_path / "u8.npy", x)
    got = load_single(tmp_path / "u8.npy", spec)
    assert got.dtype == np.uint8 and np.array_equal(got, x)
    np.save(tmp_path / "neg.npy", np.full(spec.shape, -1, np.int16))
    with pytest.raises(InputError, match="outside uint8"):
        load_single(tmp_path / "neg.npy", spec)
    # real values quantized with the input's scale and zero point, clamped to 0..255
    np.save(tmp_path / "real.npy", np.array([[-1e3, 0.0, 1e3] + [0.5] * 17], np.float32))
    q = load_single(tmp_path / "real.npy", spec, quantize=True)
    assert q.dtype == np.uint8 and q[0, :3].tolist() == [0, spec.zero_point, 255]


def test_simulate_cli_with_a_uint8_input_file(tmp_path, capsys):
    from tflm_py.cli import main as cli
    model = DATA / "mlp_uint8.tflite"
    m = load_model(str(model))
    x = np.random.default_rng(4).integers(0, 256, size=(1, 20)).astype(np.uint8)
    np.save(tmp_path / "x.npy", x)
    rc = cli(["simulate", str(model), "-i", str(tmp_path / "x.npy"), "-o",
              str(tmp_path / "y.npy")])
    assert rc == 0, capsys.readouterr()
    y = np.load(tmp_path / "y.npy")
    assert y.dtype == np.uint8 and np.array_equal(y, run_oracle(m.data, [[x]])[0][0])


def test_converted_uint8_model_run_on_the_qemu_board(tmp_path, monkeypatch, capsys):
    from tflm_py.cli import main as cli
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm"):
        assert shutil.which(tool), f"{tool} not installed: run scripts/setup.sh"
    monkeypatch.setenv("TFLM_PY_PIO_CORE", str(tmp_path / "pio_core"))
    rc = cli(["run", str(DATA / "small_cnn_uint8.tflite"), "--board", "qemu-mps2-an386",
              "--samples", "3", "-o", str(tmp_path / "project"), "--json"])
    out = capsys.readouterr().out
    d = json.loads(out[out.index("{"):])
    assert rc == 0, d
    assert d["passed"] == 3 and d["bit_exact"] is True and d["max_abs_diff"] == 0


# ------------------------------------------------------------------ MLPerf Tiny firmware

def test_mlperf_input_modes_for_uint8_inputs():
    from tflm_py import mlperf_firmware as mf
    u8 = lambda shape: {"dtype": "uint8", "shape": list(shape),  # noqa: E731
                        "bytes": int(np.prod(shape))}
    # vww01 / ic01 U8C3 bytes go unchanged into a uint8 input
    for mid, shape in (("vww01", (1, 96, 96, 3)), ("ic01", (1, 32, 32, 3))):
        s = mf.firmware_spec([u8(shape)], [u8((1, 2))], mid)
        assert s["input_mode"] == "uint8" and s["in_bytes"] == int(np.prod(shape))
    assert mf.check_input_mode("u8-minus-128", [u8((1, 8))]) is not None
    assert mf.check_input_mode("uint8", [{"dtype": "int8", "shape": [1, 8], "bytes": 8}]) \
        is not None
    # ad01's float32 values are quantized on the device to the uint8 input
    s = mf.firmware_spec([u8((1, 640))], [u8((1, 640))], "ad01")
    assert s["input_mode"] == "float32" and s["float_input"] and s["in_uint8"]
    assert s["in_elem_bytes"] == 1 and s["db_bytes"] == 2560 and s["ad01"]
    x = np.array([0.0, 0.25, -0.25, 0.5, -0.5, 1e9, -1e9, np.nan, 200.0], np.float32)
    q = mf.quantize_like_firmware(x, 0.5, 100, np.uint8)
    # x / 0.5 = 0, .5, -.5, 1, -1, big, -big, nan, 400; halves away from zero, + 100
    assert q.dtype == np.uint8 and q.tolist() == [100, 101, 99, 101, 99, 255, 0, 100, 255]


def _uint8_autoencoder(n: int = 48) -> bytes:
    """An ad01-shaped model with uint8 input and output, as the converter makes it:
    QUANTIZE uint8 -> int8, FULLY_CONNECTED, QUANTIZE int8 -> uint8."""
    rng = np.random.default_rng(8)
    b = ModelBuilder()
    x = b.activation((1, n), np.uint8, 0.05, 120)
    xi = b.activation((1, n), np.int8, 0.05, -8)
    w = b.constant(rng.integers(-127, 128, size=(n, n), dtype=np.int8), scales=[0.01],
                   zero_points=[0])
    yi = b.activation((1, n), np.int8, 0.08, 3)
    y = b.activation((1, n), np.uint8, 0.08, 131)
    b.op("QUANTIZE", [x], [xi])
    b.op("FULLY_CONNECTED", [xi, w, -1], [yi])
    b.op("QUANTIZE", [yi], [y])
    return b.build([x], [y])


def test_mlperf_firmware_with_uint8_inputs_on_qemu(tmp_path, monkeypatch):
    """The converted uint8 CNN as ic01 (the runner's U8C3 bytes copied into the uint8 input)
    and a uint8 autoencoder as ad01 (float32 values quantized to uint8 on the device): the
    outputs equal the simulator's bit for bit, m-results within their rounding."""
    from tflm_py import boards, harness, mlperf
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm"):
        assert shutil.which(tool), f"{tool} not installed: run scripts/setup.sh"
    monkeypatch.setenv("TFLM_PY_PIO_CORE", str(tmp_path / "pio_core"))
    ad_path = tmp_path / "ad01_uint8.tflite"
    ad_path.write_bytes(_uint8_autoencoder())
    rng = np.random.default_rng(9)
    cases = [(DATA / "small_cnn_uint8.tflite", "ic01", "uint8", False,
              [[rng.integers(0, 256, size=(1, 16, 16, 3)).astype(np.uint8)] for _ in range(2)]
              + [[np.full((1, 16, 16, 3), 255, np.uint8)]]),
             (ad_path, "ad01", "float32", True,
              [[rng.normal(0, 4, size=(1, 48)).astype(np.float32)] for _ in range(2)]
              + [[np.linspace(-20, 20, 48, dtype=np.float32).reshape(1, 48)]])]
    for path, mid, mode, floats, samples in cases:
        model = load_model(str(path))
        proj = boards.make_project(model, "qemu-mps2-an386", tmp_path / mid,
                                   protocol="mlperf-tiny", mlperf_model=mid)
        spec = boards.load_project(proj)["mlperf"]
        assert spec["input_mode"] == mode, spec
        harness.build_project(proj)
        with harness.VirtualBoard(boards.load_project(proj), lifetime=300) as vb:
            link = harness.connect(vb.info["url"])
            try:
                res = mlperf.validate_device(mlperf.MlperfClient(link), Simulator(model),
                                             samples, float_inputs=floats)
            finally:
                link.close()
        assert res.bit_exact and len(res.samples) == 3, (mid, res.first_mismatch)
        if mid == "ad01":
            assert all(len(s.results) == 1 and s.results[0] > 0 for s in res.samples)


def test_identity_uint8_quantize_is_not_collapsed_away():
    """TFLM refuses QUANTIZE uint8 -> uint8 even between equal quantizations; the collapse
    pass must not turn that model into one tflm_py runs."""
    b = ModelBuilder()
    x = b.activation((1, 4), np.uint8, 0.1, 128)
    m = b.activation((1, 4), np.uint8, 0.1, 128)
    y = b.activation((1, 4), np.int8, 0.1, 0)
    b.op("QUANTIZE", [x], [m])
    b.op("QUANTIZE", [m], [y])
    data = b.build([x], [y])
    with pytest.raises(RuntimeError):
        run_oracle(data, [[np.zeros((1, 4), np.uint8)]])
    with pytest.raises(UnsupportedError, match="uint8 -> uint8"):
        ops.check_model(load_model(data))
