"""The op registry: one room (module) per op type.

A room is a module `tflm_py/ops/<op>.py` that declares which builtin op names it
handles and offers these functions (module level):

    OPS = ("CONV_2D",)                      # builtin names this room handles
    check(op, model) -> None                # raise UnsupportedError(...) for what we do not support
    macs(op, model) -> int                  # multiply-accumulates of one invoke (0 if none)
    prepare(op, model) -> params            # every integer parameter, computed once in Python
                                            # (multipliers, shifts, zero points, ranges, paddings...)
    simulate(op, model, params, inputs) -> list[np.ndarray]
        # inputs: one numpy array per op input (None for an absent optional input), shaped as the
        # tensor; variable tensors (is_variable) are passed as writable arrays and the op updates
        # them in place (persistent state). Returns one array per op output.
    emit(op, model, params, cg) -> str      # the C statements of this op's call (see codegen.Emitter)
    INPLACE = None                          # planner rule; see planner.py: None, "alias",
                                            # "elementwise", "overlap", "view"
    views(op, model) -> [(member, container, byte_offset)]   # with "view" only: tensors
                                            # whose bytes may be a block of another's
                                            # (see ops/_views.py)
    overlap_reads(op, model) -> (unit_bytes, min_read)   # with INPLACE = "overlap" only;
                                            # see ops/_overlap.py
    scratch_bytes(op, model) -> int         # optional, default 0
    SCRATCH_OPTIONAL = False                # True: the kernel also runs (more slowly) without
                                            # scratch (cg.scratch(op) is then NULL); the planner
                                            # drops scratch that would raise the arena's peak
    REFUSED = False                         # True: a room that only knows why it refuses every
                                            # op it names (e.g. TFLM's kernel is float-only);
                                            # not counted in supported_ops()

`prepare` is shared by simulate and emit, so the C kernels get exactly the parameters the
simulator used.
"""
from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from ..errors import UnsupportedError

_registry: dict[str, ModuleType] | None = None

# builtins whose TFLM kernel computes float32 only (kernels/neg.cc, elementwise.cc): a
# full-integer model cannot use them, so they have no room; the refusal says why
TFLM_FLOAT_ONLY = ("NEG", "SQUARE", "SIN", "COS", "LOG", "SQRT")


# builtins a graph pass removes (tflm_py/passes/), so no room runs them
LOWERED_BY_PASSES = {"VAR_HANDLE": "variables", "CALL_ONCE": "variables"}


def _no_room_message(op_type: str) -> str:
    if op_type in LOWERED_BY_PASSES:
        return (f"op {op_type} is lowered by the graph pass `{LOWERED_BY_PASSES[op_type]}`: "
                "load the model with tflm_py.load_model")
    if op_type in TFLM_FLOAT_ONLY:
        return (f"op {op_type} is not supported: TFLM's {op_type} kernel takes float32 "
                "tensors only, and tflm_py runs integer models")
    return f"op {op_type} is not supported"


def _room_module_names() -> list[str]:
    """Every module of this package not starting with '_' is a room: adding an op is adding
    its file, with no shared list to edit."""
    return sorted(info.name for info in pkgutil.iter_modules(__path__)
                  if not info.name.startswith("_"))


def registry() -> dict[str, ModuleType]:
    """{builtin op name: room module} for every room that exists."""
    global _registry
    if _registry is None:
        reg: dict[str, ModuleType] = {}
        for name in _room_module_names():
            mod = importlib.import_module(f"{__name__}.{name}")
            for op_name in getattr(mod, "OPS", ()):
                if op_name in reg:
                    raise RuntimeError(f"op {op_name} is claimed by rooms {reg[op_name].__name__} "
                                       f"and {mod.__name__}")
                reg[op_name] = mod
        _registry = reg
    return _registry


def supported_ops() -> list[str]:
    """Op types some integer model can run (rooms that refuse everything left out)."""
    return sorted(name for name, mod in registry().items() if not getattr(mod, "REFUSED", False))


def room(op_type: str) -> ModuleType:
    reg = registry()
    if op_type not in reg:
        raise UnsupportedError(f"{_no_room_message(op_type)}; docs/ops.md lists the "
                               f"{len(supported_ops())} ops tflm_py runs and the types each takes")
    return reg[op_type]


FULL_INTEGER_ADVICE = (
    "tflm_py runs full-integer models: convert with converter.optimizations = "
    "[tf.lite.Optimize.DEFAULT], converter.representative_dataset = <a generator of sample "
    "inputs>, converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8], "
    "converter.inference_input_type = tf.int8, converter.inference_output_type = tf.int8")


def _computes_in_float(op, model) -> bool:
    """The op computes in float32 (QUANTIZE / DEQUANTIZE at the float edges do not count,
    nor a float32 constant beside integer activations, as the pad value the 16x8 converter
    leaves on PADV2)."""
    if op.type in ("QUANTIZE", "DEQUANTIZE"):
        return False
    return any(t >= 0 and model.tensors[t].type_name == "FLOAT32"
               and not model.tensors[t].is_constant for t in (*op.inputs, *op.outputs))


def check_model(model) -> None:
    """Raise UnsupportedError naming the first op we cannot run (or a tensor beyond
    tflm_py.limits)."""
    from ..limits import check_tensor_sizes
    check_tensor_sizes(model)
    dequantized = {t for op in model.operators if op.type == "DEQUANTIZE" for t in op.outputs}
    for op in model.operators:
        reg = registry()
        advice = ""
        if _computes_in_float(op, model):
            if any(t in dequantized for t in op.inputs):
                advice = ("; the converter left this op in float32 between DEQUANTIZE and "
                          "QUANTIZE in an integer model: tflm_py runs such float islands only "
                          "when they are elementwise (as one int8 table)")
            else:
                advice = f"; this is a float model: {FULL_INTEGER_ADVICE}"
        if op.type not in reg:
            raise UnsupportedError(
                f"op #{op.index} {_no_room_message(op.type)[3:]}; supported ops: "
                f"{', '.join(sorted(reg))}{advice}")
        try:
            reg[op.type].check(op, model)
        except UnsupportedError as e:
            msg = str(e)
            prefix = f"op #{op.index} {op.type}"
            raise UnsupportedError((msg if msg.startswith(prefix) else f"{prefix}: {msg}")
                                   + advice) from None
