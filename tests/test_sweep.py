"""The per-op sweep in CI: random single-op models across the whole op list, through TFLM,
the simulator and the generated C (every 4th case also under ASan/UBSan): 0 mismatches."""
import pytest

from tflm_py.sweep import all_generators, run_case

CASES_TOTAL = 240
GENS = all_generators()
PER_OP = max(4, -(-CASES_TOTAL // max(len(GENS), 1)))
CASES = [(op, 1000 + k) for op in GENS for k in range(PER_OP)]


def test_sweep_covers_the_op_list():
    from tflm_py import ops
    missing = sorted(set(ops.supported_ops()) - set(GENS))
    assert not missing, f"ops without a sweep generator: {missing}"
    assert len(CASES) >= 200


@pytest.mark.parametrize("op_name,seed", CASES, ids=[f"{o}-{s}" for o, s in CASES])
def test_sweep_case(op_name, seed):
    res = run_case(op_name, seed, with_c=True, sanitize=(seed % 4 == 0))
    assert res["elements"] > 0
    assert res["sim_mismatch"] == 0, res["first"]
    assert res["c_mismatch"] == 0, res["first"]
