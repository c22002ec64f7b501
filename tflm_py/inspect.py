"""What is in a model: ops, tensors, MACs, memory, supported ops, metadata.

`inspect_model(model) -> dict` is the one source of the facts; `format_text(info)` renders
them as the readable table of `tflm-py inspect`, and `--json` prints the dict itself.
MACs per op come from the op's room (`room.macs`) when the room exists and accepts the op;
otherwise CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED are counted here from the shapes
and every other op counts 0.
"""
from __future__ import annotations

import math
import re
from typing import Optional

from .errors import ModelError
from .ir import Model, Operator, Tensor
from .ops import registry, supported_ops
from .reader import min_runtime_version, offline_memory_plan, _metadata_label_files


# ---------------------------------------------------------------------------- MACs

def _shape(model: Model, index: int) -> Optional[tuple]:
    if 0 <= index < len(model.tensors):
        return model.tensors[index].shape
    return None


def _prod(dims) -> int:
    n = 1
    for d in dims:
        n *= int(d)
    return n


def fallback_macs(op: Operator, model: Model) -> int:
    """MACs from shapes alone, for the ops whose cost is dominated by multiply-accumulates:
    conv = output elements * kh * kw * input channels per filter, depthwise = output elements
    * kh * kw, fully connected = output elements * input depth. 0 for other ops or when the
    shapes do not fit."""
    if len(op.inputs) < 2 or not op.outputs:
        return 0
    w, y = _shape(model, op.inputs[1]), _shape(model, op.outputs[0])
    if w is None or y is None:
        return 0
    out = _prod(y)
    if op.type == "CONV_2D" and len(w) == 4:        # OHWI
        return out * w[1] * w[2] * w[3]
    if op.type == "DEPTHWISE_CONV_2D" and len(w) == 4:  # 1HWO
        return out * w[1] * w[2]
    if op.type == "FULLY_CONNECTED" and len(w) >= 1:    # (units, depth)
        return out * w[-1]
    return 0


def _room_verdict(op: Operator, model: Model):
    """(room or None, supported, reason): whether the op's room exists and accepts the op."""
    room = registry().get(op.type)
    if room is None:
        return None, False, "no room for this op type yet"
    try:
        room.check(op, model)
    except ModelError as e:
        return room, False, str(e)
    except Exception as e:  # a room bug must not hide the rest of the report
        return room, False, f"check raised {type(e).__name__}: {e}"
    return room, True, ""


def op_macs(op: Operator, model: Model, room=None, supported: bool = True,
            problems: Optional[list] = None) -> int:
    if room is not None and supported:
        try:
            return int(room.macs(op, model))
        except Exception as e:  # fall back to the shape-based count below
            if problems is not None:
                problems.append(f"op #{op.index} {op.type}: macs raised {type(e).__name__}: {e}")
    return fallback_macs(op, model)


# ---------------------------------------------------------------------------- report

def _quant_dict(t: Tensor):
    q = t.quantization
    if q is None:
        return None
    return {"scales": [float(s) for s in q.scales], "zero_points": [int(z) for z in q.zero_points],
            "quantized_dimension": int(q.quantized_dimension)}


def _tensor_dict(t: Tensor) -> dict:
    return {"index": t.index, "name": t.name, "shape": [int(d) for d in t.shape],
            "dtype": t.dtype.name, "type": t.type_name, "bytes": int(t.nbytes),
            "is_constant": t.is_constant, "is_variable": bool(t.is_variable),
            "data_offset": t.data_offset, "quantization": _quant_dict(t)}


def _option_value(v):
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)  # keep the JSON standard (no NaN / Infinity literals)
    if isinstance(v, (bool, int, float, str)) or v is None:
        return v
    if isinstance(v, (tuple, list)):
        return [_option_value(x) for x in v]
    return repr(v)


def _lifetimes(model: Model) -> int:
    """Peak bytes of the non-constant, non-variable tensors alive at once when the ops run in
    file order and no buffer is shared: a tensor lives from the op that first touches it (0
    for graph inputs) to the last op that uses it (the end for graph outputs)."""
    n_ops = len(model.operators)
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for i in model.inputs:
        first[i] = 0
    for op in model.operators:
        for t in (*op.inputs, *op.outputs, *op.intermediates):
            if t >= 0:
                first.setdefault(t, op.index)
                last[t] = op.index
    for i in model.outputs:
        first.setdefault(i, 0)
        last[i] = max(n_ops - 1, 0)
    delta = [0] * (max(n_ops, 1) + 1)
    for t, f in first.items():
        tensor = model.tensors[t]
        if tensor.is_constant or tensor.is_variable:
            continue
        delta[f] += tensor.nbytes
        delta[max(last.get(t, f), f) + 1] -= tensor.nbytes
    peak = live = 0
    for d in delta:
        live += d
        peak = max(peak, live)
    return peak


def _metadata_dict(model: Model) -> dict:
    out = {}
    for name, raw in model.metadata.items():
        value = None
        if name == "min_runtime_version":
            value = min_runtime_version(model)
        elif name == "OfflineMemoryAllocation":
            value = list(offline_memory_plan(model) or ())
        elif name == "TFLITE_METADATA":
            value = {"label_files": _metadata_label_files(raw)}
        out[name] = {"bytes": len(raw), "value": value}
    return out


def inspect_model(model: Model) -> dict:
    """Everything `tflm-py inspect` shows, as plain JSON-ready data."""
    ops = []
    types: dict[str, dict] = {}
    supported_types = set(supported_ops())
    problems: list[str] = []  # room functions that failed with something else than ModelError
    total = 0
    for op in model.operators:
        room, ok, reason = _room_verdict(op, model)
        if reason.startswith("check raised"):
            problems.append(f"op #{op.index} {op.type}: {reason}")
        m = op_macs(op, model, room, ok, problems)
        total += m
        ops.append({
            "index": op.index, "type": op.type, "version": op.version,
            "inputs": [int(i) for i in op.inputs], "outputs": [int(i) for i in op.outputs],
            "input_shapes": [None if i < 0 else [int(d) for d in model.tensors[i].shape]
                             for i in op.inputs],
            "output_shapes": [[int(d) for d in model.tensors[i].shape] for i in op.outputs],
            "macs": m, "supported": ok, "reason": reason,
            "options": {k: _option_value(v) for k, v in vars(op.options).items()},
            "custom_code": op.custom_code,
        })
        entry = types.setdefault(op.type, {"type": op.type, "count": 0,
                                           "supported": op.type in supported_types})
        entry["count"] += 1
    tensors = [_tensor_dict(t) for t in model.tensors]
    seen = set()
    constant_bytes = 0
    for t in model.tensors:
        if t.is_constant:
            key = (t.data_offset, t.data.nbytes) if t.data_offset is not None else ("t", t.index)
            if key not in seen:
                seen.add(key)
                constant_bytes += t.data.nbytes
    activation_bytes = sum(t.nbytes for t in model.tensors
                           if not t.is_constant and not t.is_variable
                           and t.type_name != "RESOURCE")   # a variable's handle: no bytes
    variable_bytes = sum(t.nbytes for t in model.tensors if t.is_variable)
    from .errors import UnsupportedError
    from .limits import check_tensor_sizes
    try:
        check_tensor_sizes(model)
        limit = None
    except UnsupportedError as e:     # plan, simulate and generate refuse it
        limit = str(e)
    return {
        "model": model.name, "file_bytes": len(model.data), "description": model.description,
        "schema_version": model.version,
        "ops": ops, "tensors": tensors,
        "inputs": [int(i) for i in model.inputs], "outputs": [int(i) for i in model.outputs],
        "macs": total, "constant_bytes": constant_bytes, "activation_bytes": activation_bytes,
        "variable_bytes": variable_bytes, "peak_live_bytes": _lifetimes(model),
        "op_types": list(types.values()),
        "supported": all(o["supported"] for o in ops) and limit is None, "limit": limit,
        "metadata": _metadata_dict(model), "labels": model.labels,
        "room_problems": problems,
        "passes": passes_summary(model),
    }


def passes_summary(model: Model) -> dict:
    """What the graph passes did (from `Model.notes`: one note per removed op): op counts in
    the file and after, and the notes."""
    notes = list(model.notes)
    folded = sum(n.startswith("fold_constants:") for n in notes)
    dropped = sum(n.startswith("dead_ops:") for n in notes)
    collapsed = sum(n.startswith("collapse:") and n.endswith("(its output equals its input)")
                    for n in notes)
    lowered = sum(n.startswith("variables:") and (n.endswith("dropped (lowered)")
                                                  or "_VARIABLE elided:" in n)
                  for n in notes)
    # a float island of k ops became one LOOKUP_TABLE op: k - 1 ops fewer
    collapsed += sum(n.split(" (float32", 1)[0].count(" -> ") for n in notes
                     if n.startswith("float_islands:"))
    # a QUANTIZE of a float CONCATENATION became one QUANTIZE per input: "(+k ops)"
    added = sum(int(m.group(1)) for n in notes if n.startswith("float_islands:")
                for m in [re.search(r"\(\+(\d+) ops\)$", n)] if m)
    return {"ops_before": len(model.operators) + folded + dropped + collapsed + lowered - added,
            "ops_after": len(model.operators), "folded": folded, "dropped": dropped,
            "collapsed": collapsed, "lowered": lowered, "notes": notes}


# ---------------------------------------------------------------------------- text

def _fmt_shape(shape) -> str:
    return "-" if shape is None else "[" + ",".join(str(d) for d in shape) + "]"


def _fmt_quant(q) -> str:
    if q is None:
        return ""
    s, z = q["scales"], q["zero_points"]
    if len(s) == 1:
        return f"s={s[0]:.6g} zp={z[0]}"
    return f"per-channel x{len(s)} (dim {q['quantized_dimension']}) s={min(s):.3g}..{max(s):.3g}"


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(h), *(len(r[k]) for r in rows)) if rows else len(h)
              for k, h in enumerate(header)]

    def line(cells):
        return "  ".join(c.rjust(w) if k in right else c.ljust(w)
                         for k, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return [line(header), line(["-" * w for w in widths])] + [line(r) for r in rows]


def format_text(info: dict) -> str:
    tensors = info["tensors"]

    def tdesc(i):
        t = tensors[i]
        return (f"#{i} {t['name']} {t['dtype']} {_fmt_shape(t['shape'])} "
                f"{_fmt_quant(t['quantization'])}").rstrip()

    out = [f"model {info['model']}: {info['file_bytes']:,} bytes, schema v{info['schema_version']}"
           + (f", \"{info['description']}\"" if info["description"] else "")]
    out += ["inputs:  " + "; ".join(tdesc(i) for i in info["inputs"]),
            "outputs: " + "; ".join(tdesc(i) for i in info["outputs"])]
    if info["labels"]:
        labels = info["labels"]
        more = f" ... ({len(labels)} labels)" if len(labels) > 8 else ""
        out.append("labels:  " + ", ".join(labels[:8]) + more)
    out += ["", f"ops ({len(info['ops'])}):"]
    rows = []
    for op in info["ops"]:
        ins = " ".join(("c" if i >= 0 and tensors[i]["is_constant"] else "") + _fmt_shape(s)
                       for i, s in zip(op["inputs"], op["input_shapes"]))
        outs = " ".join(_fmt_shape(s) for s in op["output_shapes"])
        if len(ins) > 64:
            ins = ins[:60] + " ..."
        rows.append([str(op["index"]), op["type"] + ("" if op["supported"] else " *"),
                     ins, outs, f"{op['macs']:,}"])
    out += _table(["#", "op", "inputs (c = constant)", "outputs", "MACs"], rows, {0, 4})
    out += [f"total MACs: {info['macs']:,}", "", f"tensors ({len(tensors)}):"]
    rows = []
    for t in tensors:
        kind = "const" if t["is_constant"] else ("state" if t["is_variable"] else
                                                  "handle" if t["type"] == "RESOURCE" else "act")
        rows.append([str(t["index"]), t["name"][:40], t["dtype"], _fmt_shape(t["shape"]),
                     f"{t['bytes']:,}", kind, _fmt_quant(t["quantization"])])
    out += _table(["#", "name", "dtype", "shape", "bytes", "kind", "quantization"], rows, {0, 4})
    out += ["",
            f"constant bytes:   {info['constant_bytes']:,}",
            f"activation bytes: {info['activation_bytes']:,} (all together; "
            f"{info['peak_live_bytes']:,} alive at once, in file order)"]
    if info["variable_bytes"]:
        out.append(f"state bytes:      {info['variable_bytes']:,}")
    out += ["", "op types:"]
    for e in info["op_types"]:
        mark = "supported" if e["supported"] else "NOT SUPPORTED yet"
        out.append(f"  {e['type']:<30} x{e['count']:<4} {mark}")
    notes = [f"  op #{op['index']} {op['type']}: {op['reason']}"
             for op in info["ops"] if not op["supported"] and op["type"] in registry()]
    if notes:
        out += ["", "ops their room does not accept:"] + notes
    if info["metadata"]:
        out += ["", "metadata:"]
        for name, m in info["metadata"].items():
            v = m["value"]
            if isinstance(v, list):
                v = f"{len(v)} offsets"
            out.append(f"  {name}: {m['bytes']:,} bytes" + ("" if v is None else f" ({v})"))
    passes = info.get("passes")
    if passes and passes["notes"]:
        out += ["", f"graph passes: {passes['ops_before']} ops in the file, "
                    f"{passes['ops_after']} after ({passes['folded']} folded into constants, "
                    f"{passes['dropped']} dropped, {passes['collapsed']} collapsed"
                    + (f", {passes['lowered']} lowered to state" if passes.get("lowered")
                       else "") + "):"]
        out += [f"  {n}" for n in passes["notes"]]
    out.append("")
    out.append("supported: " + ("yes" if info["supported"] else
                                f"no ({info['limit']})" if info.get("limit") else
                                "no (* marks the ops tflm_py cannot generate yet)"))
    return "\n".join(out)
