"""A wheel built from the repo ships codegen/, kernels_c/ and boards/, and works from any folder."""
import json
import os
import subprocess
import sys
import zipfile

from conftest import MODELS, ROOT


def test_wheel_ships_data_and_runs_elsewhere(tmp_path):
    wheels = tmp_path / "wheels"
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps",
                        "--no-build-isolation", "-q", "-w", str(wheels)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    (whl,) = wheels.glob("tflm_py-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(whl) as z:
        names = z.namelist()
        z.extractall(site)
    for folder in ("codegen", "kernels_c", "boards"):
        assert any(n.startswith(f"tflm_py/_data/{folder}/") for n in names), folder
    assert "tflm_py/_data/kernels_c/tflm_common.h" in names

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = dict(os.environ, PYTHONPATH=str(site))
    model = MODELS["hello_world_int8"]
    r = subprocess.run([sys.executable, "-m", "tflm_py", "generate", str(model), "-o", "bundle"],
                       cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    man = json.loads((elsewhere / "bundle" / "manifest.json").read_text())
    assert man["kernels"] and (elsewhere / "bundle" / "kernels" / "tflm_common.h").is_file()
    # the run used the shipped copy, not the repo
    r = subprocess.run([sys.executable, "-c", "import tflm_py.resources as r; print(r.data_path('kernels_c'))"],
                       cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60)
    assert str(site) in r.stdout, r.stdout
