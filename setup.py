"""Ship codegen/, kernels_c/ and boards/ inside the wheel as tflm_py/_data/<name>/."""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

DATA_DIRS = ("codegen", "kernels_c", "boards")


class BuildPyWithData(build_py):
    def run(self):
        super().run()
        root = Path(__file__).resolve().parent
        for name in DATA_DIRS:
            src = root / name
            dst = Path(self.build_lib) / "tflm_py" / "_data" / name
            if dst.exists():
                shutil.rmtree(dst)
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns(
                "__pycache__", "*.pyc", ".pio", "build"))


setup(cmdclass={"build_py": BuildPyWithData})
