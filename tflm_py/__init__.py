"""tflm_py: int8 TFLite models to bit-exact, interpreter-free microcontroller firmware.

    model = tflm_py.load_model("model.tflite")        # reader -> graph IR -> graph passes
    outputs = tflm_py.simulate(model, [x])            # bit-exact numpy simulation
    p = tflm_py.plan(model)                           # static arena plan
    tflm_py.generate(model, "out/", prefix="kws")     # C99 bundle
"""
from .errors import ModelError, UnsupportedError
from .ir import Model, Operator, Quantization, Tensor
from .passes import load_model, optimize
from .reader import read_model

__version__ = "0.1.0"


def simulate(model, inputs):
    """One inference of `model` in the simulator from a fresh state (see simulator.Simulator)."""
    from .simulator import simulate as _simulate
    return _simulate(model, inputs)


def plan(model, **kwargs):
    """The static arena plan of `model` (see planner.plan)."""
    from .planner import plan as _plan
    return _plan(model, **kwargs)


def generate(model, out_dir, prefix=None, **kwargs):
    """Write the C bundle of `model` into out_dir; returns the manifest (see codegen.generate)."""
    from .codegen import generate as _generate
    return _generate(model, out_dir, prefix=prefix, **kwargs)


__all__ = ["ModelError", "UnsupportedError", "Model", "Operator", "Quantization", "Tensor",
           "load_model", "optimize", "read_model", "simulate", "plan", "generate", "__version__"]
