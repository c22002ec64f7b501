"""The 5 TRANSPOSE_CONV models of TFLM's SEANet integration suite (16x8: int16 activations,
int8 weights, int64 bias; input 0 is the int32 output shape, which TFLM ignores): on the
suite's CSV input, simulator == golden == TFLM exactly, and the generated C (host, ASan/UBSan)
equals the simulator."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tflm_py import load_model
from tflm_py.hostbuild import run_host
from tflm_py.oracle import run_oracle
from tflm_py.simulator import Simulator

ROOT = Path(__file__).resolve().parents[1]
_CANDIDATES = [ROOT / "tests" / "data" / "seanet" / "transpose_conv",
               ROOT.parent / "shared" / "models" / "seanet" / "transpose_conv"]
SUITE = next((d for d in _CANDIDATES if d.is_dir()), _CANDIDATES[-1])
NAMES = [f"transpose_conv{i}" for i in range(5)]


def _csv(path: Path, dtype, shape):
    vals = np.array([int(v) for v in path.read_text().replace("\n", "").split(",") if v.strip()],
                    dtype=np.int64)
    return vals.reshape(shape).astype(dtype)


def _case(name):
    assert SUITE.is_dir(), f"SEANet suite not found at {SUITE}"
    model = load_model((SUITE / f"{name}.tflite").read_bytes())
    ins = []
    for k, t in enumerate(model.inputs):
        tt = model.tensors[t]
        ins.append(_csv(SUITE / f"{name}_input{k}_{tt.dtype.name}.csv", tt.dtype, tt.shape))
    out = model.tensors[model.outputs[0]]
    golden = _csv(SUITE / f"{name}_golden_{out.dtype.name}.csv", out.dtype, out.shape)
    return model, ins, golden


@pytest.mark.parametrize("name", NAMES)
def test_seanet_transpose_conv_exact(name):
    model, ins, golden = _case(name)
    assert [op.type for op in model.operators] == ["TRANSPOSE_CONV"]
    sim = Simulator(model).run(ins)[0]
    ref = run_oracle(model.data, [ins])[0][0]
    assert np.array_equal(ref.reshape(golden.shape), golden), "TFLM differs from the golden"
    assert np.array_equal(sim, golden), f"{int(np.sum(sim != golden))} elements differ"
    host = run_host(model, [ins], sanitize=name in ("transpose_conv0", "transpose_conv4"))
    assert np.array_equal(np.asarray(host[0][0]).reshape(sim.shape), sim)


def test_seanet_transpose_conv_on_qemu(tmp_path):
    """Two of the suite on the Cortex-M4 virtual board (the SMLALD path): equal to the golden."""
    import shutil
    from tflm_py.bench import run_on_qemu
    assert shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc"), \
        "qemu-system-arm / arm-none-eabi-gcc missing: run scripts/setup.sh"
    cases = [_case(n) for n in ("transpose_conv1", "transpose_conv4")]
    entries = [(f"seanet{i}", m, [ins]) for i, (m, ins, _) in enumerate(cases)]
    results = run_on_qemu(entries, icount=False, work_dir=tmp_path)
    for (m, ins, golden), res in zip(cases, results):
        got = np.asarray(res["outputs"][0][0])
        assert np.array_equal(got.ravel(), golden.ravel())
