"""Code generator: Model + Plan + the op rooms' emit() -> a self-contained C99 bundle.

The bundle (see docs/ and the templates in codegen/bundle/): NAME_model_data.c/.h (the
constants the generated code reads, packed and aligned; the rest of the .tflite stays on the
host), NAME.c/.h (arena, state, schedule, API), kernels/ (only the
kernel files the model uses) and manifest.json.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from typing import Optional

import jinja2
import numpy as np

from . import __version__, integrity, ops
from .errors import ModelError
from .ir import Model
from .resources import data_path

_CTYPE = {"int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "uint16": "uint16_t",
          "int32": "int32_t", "uint32": "uint32_t", "int64": "int64_t", "float32": "float",
          "bool": "uint8_t"}
_TYPE_CODE = {"float32": 0, "int32": 2, "uint8": 3, "int64": 4, "bool": 6, "int16": 7,
              "int8": 9}


def c_type(dtype) -> str:
    return _CTYPE.get(np.dtype(dtype).name, "uint8_t")


def c_literal(v) -> str:
    """A C literal for a Python/numpy scalar (floats exact to float32)."""
    if isinstance(v, (bool, np.bool_)):
        return "1" if v else "0"
    if isinstance(v, (float, np.floating)):
        f = np.float32(v)
        if not np.isfinite(f):
            return "(1.0f/0.0f)" if f > 0 else "(-1.0f/0.0f)" if f < 0 else "(0.0f/0.0f)"
        r = repr(float(f))
        if "e" not in r and "." not in r:
            r += ".0"
        return r + "f"
    if isinstance(v, (int, np.integer)):
        v = int(v)
        if v == -(1 << 31):
            return "(-2147483647 - 1)"
        if v < -(1 << 31) or v > (1 << 32) - 1:
            return f"{v}LL"
        return str(v)
    return str(v)


class Emitter:
    """What an op room's emit() uses to refer to tensors, constants, kernels and scratch."""

    def __init__(self, model: Model, plan, prefix: str, state_offsets: dict[int, int],
                 pack_constants: bool = False):
        """pack_constants: NAME_model_data holds only the constants ptr() is asked for (what
        generate() writes); otherwise it is the whole .tflite, read at the file's offsets (as
        the kernel test harnesses link it)."""
        self.model = model
        self.pack_constants = pack_constants
        self.packed = bytearray()                 # NAME_model_data when packing
        self.constants: list[dict] = []           # {tensor, offset, bytes} per packed tensor
        self.tables: list[dict] = []              # {name, bytes} per const_array: constants
                                                  # re-laid out or derived for a kernel
        self.widened: list[dict] = []             # {op, bytes, int8_bytes}: weights widened
                                                  # to int16 for a faster kernel
        self._packed_at: dict[int, int] = {}
        self._packed_by_bytes: dict[bytes, int] = {}
        self.plan = plan
        self.prefix = prefix
        self.state_offsets = state_offsets
        self.declarations: list[str] = []
        # statements run once, at the first invoke: tables built in RAM (optimize="flash")
        self.first_invoke: list[str] = []
        self.ram_tables: list[dict] = []          # {name, bytes} per table built in RAM
        self.kernels: list[str] = []
        self._arrays: dict[tuple, str] = {}
        self._names: set[str] = set()
        self.current_op = None
        # the data check (tflm_py.integrity): per op index, what its call reads that the
        # generator produced, as (C statement hashing it, the bytes hashed)
        self.data_items: dict[int, list] = {}
        self._data_seen: set = set()

    def _record(self, key, c_stmt: str, data: bytes) -> None:
        if self.current_op is None or key in self._data_seen:
            return
        self._data_seen.add(key)
        self.data_items.setdefault(self.current_op.index, []).append((c_stmt, data))

    def _name(self, hint: str) -> str:
        base = re.sub(r"\W", "_", hint).strip("_") or "c"
        name = f"{self.prefix}_{base}"
        n = 0
        while name in self._names:
            n += 1
            name = f"{self.prefix}_{base}_{n}"
        self._names.add(name)
        return name

    def ptr(self, tensor_index: int) -> str:
        if tensor_index is None or tensor_index < 0:
            return "NULL"
        t = self.model.tensors[tensor_index]
        ct = c_type(t.dtype)
        if t.is_variable:
            return f"(({ct} *)(void *)({self.prefix}_state + {self.state_offsets[t.index]}))"
        if t.data is not None:
            if self.pack_constants:
                off = self.constant_offset(tensor_index)
                self._record(("tensor", self.current_op and self.current_op.index, t.index),
                             f"c = tflm_py_crc_bytes(c, {self.prefix}_model_data + "
                             f"{off}, {t.nbytes}u);",
                             bytes(self.packed[off:off + t.nbytes]))
                return f"((const {ct} *)(const void *)({self.prefix}_model_data + {off}))"
            if (t.data_offset is not None and t.data_offset % max(t.dtype.itemsize, 1) == 0
                    and t.dtype.itemsize <= 16):
                self._record(("tensor", self.current_op and self.current_op.index, t.index),
                             f"c = tflm_py_crc_bytes(c, {self.prefix}_model_data + "
                             f"{t.data_offset}, {t.nbytes}u);",
                             bytes(self.model.data[t.data_offset:t.data_offset + t.nbytes]))
                return f"((const {ct} *)(const void *)({self.prefix}_model_data + {t.data_offset}))"
            # misaligned in the file, or not in it (folded by a graph pass): an aligned copy
            return f"((const {ct} *){self.const_array(ct, t.data.ravel(), f'tensor{t.index}')})"
        off = self.plan.offsets[tensor_index]
        if ct == "int8_t":
            return f"({self.prefix}_arena + {off})"
        return f"(({ct} *)(void *)({self.prefix}_arena + {off}))"

    def constant_offset(self, tensor_index: int) -> int:
        """Where constant tensor `tensor_index` sits in the packed NAME_model_data: appended on
        first use, 16-byte aligned (8 for smaller ones, enough for any element type), and
        shared by tensors holding identical bytes."""
        if tensor_index in self._packed_at:
            return self._packed_at[tensor_index]
        t = self.model.tensors[tensor_index]
        raw = np.ascontiguousarray(t.data).tobytes()
        off = self._packed_by_bytes.get(raw)
        if off is None:
            align = 16 if len(raw) >= 16 else 8
            self.packed.extend(b"\0" * (-len(self.packed) % align))
            off = len(self.packed)
            self.packed.extend(raw)
            self._packed_by_bytes[raw] = off
        self._packed_at[tensor_index] = off
        self.constants.append({"tensor": tensor_index, "offset": off, "bytes": len(raw)})
        return off

    def const_array(self, ctype: str, values, hint: str) -> str:
        vals = [c_literal(v) for v in np.asarray(values).ravel().tolist()] or ["0"]
        key = (ctype, tuple(vals))
        if key in self._arrays:
            return self._arrays[key]
        name = self._name(hint)
        flat = np.asarray(values).ravel()
        data = integrity.array_bytes(ctype, flat.tolist() or [0])
        if data and not (flat.dtype.kind == "f" and np.isnan(flat).any()):
            self._record(("array", name), f"c = tflm_py_crc_bytes(c, {name}, sizeof {name});",
                         data)
        rows = []
        for i in range(0, len(vals), 12):
            rows.append("    " + ", ".join(vals[i:i + 12]) + ",")
        self.declarations.append(f"static const {ctype} {name}[{len(vals)}] = {{\n"
                                 + "\n".join(rows) + "\n};")
        self.tables.append({"name": name, "bytes": len(data)})
        self._arrays[key] = name
        return name

    def param_struct(self, ctype: str, fields: dict, hint: str) -> str:
        name = self._name(hint)
        for k, v in fields.items():
            item = None if isinstance(v, str) else integrity.field_item(v)
            if item is not None:
                kind, data = item
                cast = "(int64_t)" if kind == "i64" else "(float)"
                self._record(("field", name, k), f"c = tflm_py_crc_{kind}(c, {cast}{name}.{k});",
                             data)
        body = ",\n".join(f"    .{k} = {v if isinstance(v, str) else c_literal(v)}"
                          for k, v in fields.items())
        self.declarations.append(f"static const {ctype} {name} = {{\n{body},\n}};")
        return name

    def int8_weights(self) -> bool:
        """The plan asks for weights at their int8 size (optimize="flash"): no widened copies."""
        return bool(getattr(self.plan, "int8_weights", False))

    def widened_array(self, values, hint: str) -> str:
        """const_array("int16_t", ...) of int8 weights widened for a faster kernel, recorded in
        the manifest (widened_weights) for `generate --report`."""
        name = self.const_array("int16_t", values, hint)
        n = int(np.asarray(values).size)
        self.widened.append({"op": None if self.current_op is None else self.current_op.index,
                             "array": name, "bytes": 2 * n, "int8_bytes": n})
        return name

    def ram_table(self, ctype: str, count: int, hint: str, build: str) -> str:
        """A table of `count` ctype built in RAM at the first invoke by the C statement
        `build` (with {name} for the table) instead of stored in flash: optimize="flash"."""
        name = self._name(hint)
        self.declarations.append(f"static {ctype} {name}[{count}];   /* built at the first "
                                 f"invoke */")
        size = {"int8_t": 1, "uint8_t": 1, "int16_t": 2, "int32_t": 4, "float": 4}[ctype]
        self.ram_tables.append({"name": name, "bytes": size * int(count)})
        self.first_invoke.append(build.format(name=name))
        return name

    def flash_first(self) -> bool:
        """The plan asks for the least flash (optimize="flash"): derive tables in RAM."""
        return getattr(self.plan, "optimize", "speed") == "flash"

    def use_kernel(self, name: str) -> None:
        if name not in self.kernels:
            if not (data_path("kernels_c") / f"{name}.c").is_file():
                raise ModelError(f"kernel {name}.c missing from kernels_c/")
            self.kernels.append(name)

    def scratch(self, op) -> str:
        """The op's scratch buffer, or NULL when the plan gave it none (SCRATCH_OPTIONAL)."""
        if op.index not in self.plan.scratch:
            return "NULL"
        off, _ = self.plan.scratch[op.index]
        return f"({self.prefix}_arena + {off})"


def _io_info(model: Model, t_index: int, em: Emitter) -> dict:
    t = model.tensors[t_index]
    q = t.quantization
    shape = list(t.shape)
    return {
        "name": t.name, "name_c": t.name.replace("\\", "/").replace('"', "'")[:64],
        "dtype": t.dtype.name, "shape": shape, "dims6": (shape + [0] * 6)[:6] if shape else [0] * 6,
        "bytes": t.nbytes, "type_code": _TYPE_CODE.get(t.dtype.name, -1),
        "scale": float(q.scale) if q else 0.0, "scale_c": c_literal(q.scale if q else 0.0),
        "zero_point": int(q.zero_point) if q else 0,
        "ptr": f"(int8_t *)(void *){em.ptr(t_index)}" if t.data is None
        else f"(int8_t *)(void *){em.ptr(t_index)}",
    }


def _wrap_call(line: str, width: int = 100) -> str:
    """Put the arguments of a long `f(a, b, ...);` statement one per line."""
    if len(line) <= width or not line.rstrip().endswith(");") or "(" not in line:
        return line
    indent = line[:len(line) - len(line.lstrip())]
    head, rest = line.strip().split("(", 1)
    args, depth, cur = [], 0, ""
    for ch in rest[:-2]:                      # without the closing ");"
        if ch == "," and depth == 0:
            args.append(cur.strip())
            cur = ""
            continue
        depth += ch in "([{"
        depth -= ch in ")]}"
        cur += ch
    args.append(cur.strip())
    if depth != 0 or not head.replace("_", "").isalnum():
        return line
    inner = indent + "    "
    return f"{indent}{head}(\n" + ",\n".join(inner + a for a in args) + ");"


def _shape_str(model: Model, idxs) -> str:
    parts = []
    for i in idxs:
        if i < 0:
            continue
        t = model.tensors[i]
        if t.data is None:
            parts.append("x".join(str(d) for d in t.shape) or "scalar")
    return ", ".join(parts)


def _default_plan(model: Model):
    try:
        from . import planner
    except ImportError:  # bootstrap until the planner lands: every tensor its own slot
        from types import SimpleNamespace
        offsets, off = {}, 0
        used = {t for op in model.operators for t in (*op.inputs, *op.outputs) if t >= 0}
        used |= set(model.inputs) | set(model.outputs)
        for t in sorted(used):
            tt = model.tensors[t]
            if tt.data is None and not tt.is_variable:
                offsets[t] = off
                off += (tt.nbytes + 15) // 16 * 16
        scratch = {}
        for op in model.operators:
            n = getattr(ops.room(op.type), "scratch_bytes", lambda o, m: 0)(op, model)
            if n:
                scratch[op.index] = (off, n)
                off += (n + 15) // 16 * 16
        return SimpleNamespace(order=[op.index for op in model.operators], offsets=offsets,
                               arena_bytes=off, scratch=scratch, align=16, strategy="naive")
    return planner.plan(model)


def sanitize_prefix(prefix: str) -> str:
    p = re.sub(r"\W", "_", prefix).strip("_").lower() or "model"
    if p[0].isdigit():
        p = "m_" + p
    return p


def bundle_files(model: Model, prefix: Optional[str] = None, plan=None,
                 source: Optional[str] = None) -> tuple[dict, dict]:
    """The C bundle of `model` in memory: (manifest, {relative path: text})."""
    ops.check_model(model)
    prefix = sanitize_prefix(prefix or model.name)
    if plan is None:
        plan = _default_plan(model)
    from .limits import check_arena
    check_arena(plan.arena_bytes)
    model_hash = hashlib.sha256(model.data).hexdigest()

    # persistent state: variable tensors, 16-byte aligned
    state_offsets, state_bytes = {}, 0
    state_init = []
    for t in model.tensors:
        if t.is_variable:
            state_offsets[t.index] = state_bytes
            state_bytes += (t.nbytes + 15) // 16 * 16
    em = Emitter(model, plan, prefix, state_offsets, pack_constants=True)
    # initial state as the simulator resets it: int8 state holds its zero point, the rest
    # zero, a resource variable its initial value (a memset when all its bytes agree, else a
    # copy from a const array)
    from .simulator import initial_state
    state_image = np.zeros(state_bytes, dtype=np.uint8)
    if state_bytes:
        state_init.append(f"memset({prefix}_state, 0, sizeof({prefix}_state));")
        for t in model.tensors:
            if t.is_variable:
                raw = np.ascontiguousarray(initial_state(t)).reshape(-1).view(np.uint8)
                off = state_offsets[t.index]
                state_image[off:off + t.nbytes] = raw
                if not raw.any():
                    continue
                if (raw == raw[0]).all():
                    fill = int(raw[:1].view(np.int8)[0])
                    state_init.append(f"memset({prefix}_state + {off}, {fill}, {t.nbytes});")
                else:
                    name = em.const_array("int8_t", raw.view(np.int8), f"state{t.index}_initial")
                    state_init.append(f"memcpy({prefix}_state + {off}, {name}, sizeof {name});")

    calls = []
    for idx in plan.order:
        op = model.operators[idx]
        room = ops.room(op.type)
        em.current_op = op
        params = room.prepare(op, model)
        code = room.emit(op, model, params, em).strip()
        ins, outs = _shape_str(model, op.inputs), _shape_str(model, op.outputs)
        code = "\n".join(_wrap_call("    " + ln) if ln.strip() else "" for ln in code.splitlines()) \
            or "    /* no code: planned in place (alias or view) */"
        comment = f"{op.type} {ins} -> {outs}" if op.outputs else f"{op.type} {ins}"
        calls.append({"index": idx, "comment": comment, "code": code})

    em.current_op = None
    layers = [{"op": lo.op, "slot": lo.slot, "bytes": lo.bytes, "ptr": em.ptr(t)}
              for lo, t in integrity.layer_outputs(model, plan.order)]
    data_ops = [{"index": op.index, "type": op.type,
                 "stmts": [_wrap_call("    " + c) for c, _ in em.data_items.get(op.index, [])]}
                for op in model.operators]
    data_check = integrity.data_crcs(
        bytes(em.packed) or b"\0", {i: [b for _, b in items] for i, items in em.data_items.items()},
        len(model.operators))

    inputs = [_io_info(model, i, em) for i in model.inputs]
    outputs = [_io_info(model, i, em) for i in model.outputs]
    # a non-zero initial state is a static initializer, so it holds before the first invoke
    state_initializer = ""
    if np.any(state_image):
        vals = [str(int(v)) for v in state_image.view(np.int8)]
        state_initializer = " = {\n" + "\n".join(
            "    " + ", ".join(vals[i:i + 16]) + "," for i in range(0, len(vals), 16)) + "\n}"

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(data_path("codegen") / "bundle")),
                             keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    packed = bytes(em.packed) or b"\0"       # C has no zero-length arrays
    ctx = dict(prefix=prefix, PREFIX=prefix.upper(), version=__version__,
               source=os.path.basename(source) if source else f"{model.name}.tflite",
               model_hash=model_hash, nbytes=len(packed), tflite_bytes=len(model.data),
               constant_count=len(em.constants), op_count=len(model.operators),
               arena_bytes=plan.arena_bytes, arena_alloc=max(plan.arena_bytes, 16),
               state_bytes=state_bytes, align=max(getattr(plan, "align", 16), 16),
               strategy=getattr(plan, "strategy", "?"),
               inputs=inputs, outputs=outputs, calls=calls, declarations=em.declarations,
               first_invoke=em.first_invoke,
               kernel_headers=[f"{k}.h" for k in em.kernels], state_init=state_init,
               state_initializer=state_initializer, layers=layers, data_ops=data_ops)
    data = np.frombuffer(packed, dtype=np.uint8)
    rows = []
    for i in range(0, len(data), 16):
        rows.append("    " + ", ".join(f"0x{b:02x}" for b in data[i:i + 16].tolist()) + ",")
    ctx["hex_rows"] = "\n".join(rows)

    files = {
        f"{prefix}_model_data.h": env.get_template("model_data.h.j2").render(ctx),
        f"{prefix}_model_data.c": env.get_template("model_data.c.j2").render(ctx),
        f"{prefix}.h": env.get_template("model.h.j2").render(ctx),
        f"{prefix}.c": env.get_template("model.c.j2").render(ctx),
    }
    manifest = {
        "prefix": prefix, "generator_version": __version__, "model_hash": model_hash,
        "model_bytes": len(packed), "tflite_bytes": len(model.data),
        "constants": em.constants, "op_count": len(model.operators),
        # const arrays beside the model data (re-laid-out weights, per-channel requantization,
        # lookup tables): constants in the layout a kernel reads
        "tables": em.tables, "table_bytes": sum(t["bytes"] for t in em.tables),
        # weights widened to int16 for speed (optimize="flash" keeps them int8)
        "widened_weights": em.widened,
        # tables built in RAM at the first invoke instead (optimize="flash"): statics
        "ram_tables": em.ram_tables, "ram_table_bytes": sum(t["bytes"] for t in em.ram_tables),
        "ops": [model.operators[i].type for i in plan.order], "kernels": list(em.kernels),
        "arena_bytes": plan.arena_bytes, "state_bytes": state_bytes,
        # what the validation firmware must report (tflm_py.integrity)
        "data_check": data_check, "layer_count": len(layers),
        "inputs": [{k: io[k] for k in ("name", "dtype", "shape", "bytes", "scale", "zero_point")}
                   for io in inputs],
        "outputs": [{k: io[k] for k in ("name", "dtype", "shape", "bytes", "scale", "zero_point")}
                    for io in outputs],
    }
    files["manifest.json"] = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    kc = data_path("kernels_c")
    files["kernels/tflm_common.h"] = (kc / "tflm_common.h").read_bytes()
    for k in em.kernels:
        for ext in (".c", ".h"):
            if (kc / f"{k}{ext}").is_file():
                files[f"kernels/{k}{ext}"] = (kc / f"{k}{ext}").read_bytes()
    return manifest, files


def generate(model: Model, out_dir, prefix: Optional[str] = None, plan=None,
             source: Optional[str] = None, force: bool = False) -> dict:
    """Write the C bundle for `model` into out_dir; return the manifest (also manifest.json).

    The folder is written completely or not at all, and only files tflm-py wrote there
    before are replaced (tflm_py.outdir): a user's other files stay; an edited generated
    file stops the write unless force."""
    manifest, files = bundle_files(model, prefix=prefix, plan=plan, source=source)
    from .outdir import write_tree
    write_tree(out_dir, files, kind="bundle", force=force)
    return manifest


def expected_data_crcs(model: Model, plan=None) -> list[int]:
    """What the validation firmware of `model`'s bundle reports for DATA_CRCS (the manifest's
    `data_check`), computed without writing anything: for a board validated by its port."""
    ops.check_model(model)
    if plan is None:
        plan = _default_plan(model)
    state_offsets, off = {}, 0
    for t in model.tensors:
        if t.is_variable:
            state_offsets[t.index] = off
            off += (t.nbytes + 15) // 16 * 16
    em = Emitter(model, plan, "m", state_offsets, pack_constants=True)
    for idx in plan.order:
        op = model.operators[idx]
        room = ops.room(op.type)
        em.current_op = op
        room.emit(op, model, room.prepare(op, model), em)
    return integrity.data_crcs(
        bytes(em.packed) or b"\0", {i: [b for _, b in items] for i, items in em.data_items.items()},
        len(model.operators))
