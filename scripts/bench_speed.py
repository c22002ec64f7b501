#!/usr/bin/env python3
"""Speed, side by side, per model and per layer: the generated code against TFLM's reference
kernels (x86) and against ARM's CMSIS-NN on the QEMU Cortex-M4 (the anchor figures).

    python scripts/bench_speed.py tests/data/models/kws_ref_model.tflite ... [--json] [--runs N]
        [--anchor ../shared/anchors/cmsis-nn-cortex-m4.md] [--no-x86] [--no-portable]
        [--pair INT8.tflite=INT16.tflite ...]

Per model, on one random input (seed 0):
* ours on qemu-mps2-an386 (Cortex-M4F, -Os as the firmware), DSP kernels: instructions per
  inference and per layer (QEMU icount, the layer_ticks `tflm-py run --json` reports), beside
  CMSIS-NN's -Os and -O3 counts for the same layer from the anchor file
  (../shared/anchors/cmsis-nn-cortex-m4.md: CMSIS-NN called layer by layer on the same board);
  the ratio ours / CMSIS-NN (< 1: we spend fewer instructions), instructions per MAC, the
  kernel variant the planner chose for the layer and its scratch bytes, the arena.
  Models match an anchor section by name (the stand-ins of tests/data/mlperf/ by
  STANDIN_ANCHORS), layers by op index order and type (an anchor RESHAPE we fold away is
  skipped); a layer whose MACs differ from the anchor's is not compared.
* TFLM x86: instructions per MicroInterpreter::Invoke of PyPI tflite-micro, counted by
  valgrind callgrind (--toggle-collect='*MicroInterpreter::Invoke*') over N invokes; ours x86:
  instructions per <prefix>_invoke of the host build (gcc -O2, baseline x86-64: the kernels'
  SSE2 paths where they have one, else their portable C), callgrind as well; the ratio
  TFLM / ours.
* ours on QEMU with the portable C (-DTFLM_PY_PORTABLE) and flash of both Cortex-M4 -Os
  builds (tflm_py.report.size_report) unless --no-portable.
* int16 beside int8: for each pair (--pair, or an int8 model X measured with a 16x8 model
  X_16x8 / X_like_16x8), both models' Cortex-M4 instructions, instructions per MAC and the
  ratio int16 / int8 per MAC.
Every run's outputs are checked against the simulator (bit-exact column).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

from tflm_py import load_model  # noqa: E402
from tflm_py import planner  # noqa: E402
from tflm_py.bench import QEMU_BOARD, bench, layer_macs, tflm_instructions  # noqa: E402
from tflm_py.codegen import generate  # noqa: E402
from tflm_py.report import size_report  # noqa: E402
from tflm_py.sweep import random_inputs  # noqa: E402

ANCHOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared",
                      "anchors", "cmsis-nn-cortex-m4.md")
# our stand-ins (scripts/make_mlperf_standins.py) -> the anchor model of the same layer shapes
STANDIN_ANCHORS = {"resnet8_standin": "pretrainedResnet_quant",
                   "vww_96_standin": "vww_96_int8",
                   "person_detect_standin": "person_detect"}


def _num(s: str):
    s = s.strip().replace(",", "")
    try:
        return int(s)
    except ValueError:
        return None


def parse_anchor(path: str) -> dict:
    """{model: [{"index", "op", "shape", "macs", "cmsis_o3", "cmsis_os"}]} from the anchor's
    per-layer tables ("### model" sections, columns by header name)."""
    out: dict = {}
    model, cols = None, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^### (\S+)", line)
            if m:
                model, cols = m.group(1), None
                out[model] = []
                continue
            if model is None or not line.startswith("|"):
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if cells[0] == "#":
                cols = {name: i for i, name in enumerate(cells)}
                continue
            if cols is None or set(cells[0]) <= set("-"):
                continue
            out[model].append({"index": int(cells[0]), "op": cells[cols["op"]],
                               "shape": cells[cols["shape"]],
                               "macs": _num(cells[cols["MACs"]]),
                               "cmsis_o3": _num(cells[cols["CMSIS-NN -O3"]]),
                               "cmsis_os": _num(cells[cols["CMSIS-NN -Os"]])})
    return out


def anchor_name(model_path: str, anchors: dict):
    stem = os.path.splitext(os.path.basename(model_path))[0]
    name = STANDIN_ANCHORS.get(stem, stem)
    return name if name in anchors else None


def align_layers(ours: list, theirs: list) -> dict:
    """{our op_index: anchor layer} matching op types in index order; anchor RESHAPEs with no
    counterpart (we fold them away) are skipped; MACs must agree."""
    match, j = {}, 0
    for ly in sorted(ours, key=lambda r: r["op_index"]):
        k = j
        while k < len(theirs) and theirs[k]["op"] != ly["type"] and theirs[k]["op"] == "RESHAPE":
            k += 1
        if k < len(theirs) and theirs[k]["op"] == ly["type"]:
            a = theirs[k]
            if not (ly["macs"] and a["macs"] is not None and a["macs"] != ly["macs"]):
                match[ly["op_index"]] = a
            j = k + 1
    return match


def layer_variants(model, plan) -> dict:
    """{op index: (variant name, scratch bytes)} as the plan runs them."""
    chosen = {t["op"]: t["variant"] for t in plan.tradeoffs}
    out = {}
    for op in model.operators:
        scratch = plan.scratch.get(op.index, (0, 0))[1]
        if op.index in chosen:
            out[op.index] = (chosen[op.index], scratch)
            continue
        vs = planner.kernel_variants(op, model)
        name = vs[0]["name"] if len(vs) == 1 or vs[0]["name"] not in ("kernel", "with scratch") \
            else "kernel"
        out[op.index] = (name, scratch)
    return out


def measure(path: str, runs: int, anchors: dict, x86: bool = True,
            portable: bool = True) -> dict:
    model = load_model(path)
    sample = random_inputs(model, np.random.default_rng(0))
    macs = sum(layer_macs(model).values())
    row = {"model": os.path.basename(path), "path": path, "macs": macs,
           "activations": activation_type(model)}
    plan = planner.plan(model)
    row["arena"] = int(plan.arena_bytes)
    dsp = bench(model, board=QEMU_BOARD, sample=sample, profile=True)
    row["qemu_dsp"] = dsp["instructions"]
    exact = [dsp["bit_exact"]]
    variants = layer_variants(model, plan)
    aname = anchor_name(path, anchors)
    row["anchor"] = aname
    match = align_layers(dsp["layers"], anchors[aname]) if aname else {}
    layers = []
    for ly in sorted(dsp["layers"], key=lambda r: r["op_index"]):
        a = match.get(ly["op_index"])
        v, s = variants[ly["op_index"]]
        layers.append({"op_index": ly["op_index"], "type": ly["type"], "macs": ly["macs"],
                       "ours_os": ly["instructions"], "variant": v, "scratch": s,
                       "anchor_index": a["index"] if a else None,
                       "shape": a["shape"] if a else "",
                       "cmsis_os": a["cmsis_os"] if a else None,
                       "cmsis_o3": a["cmsis_o3"] if a else None})
    row["layers"] = layers
    row["ours_layers_os"] = sum(ly["ours_os"] or 0 for ly in layers)
    if aname:
        row["cmsis_os"] = sum(a["cmsis_os"] or 0 for a in anchors[aname])
        row["cmsis_o3"] = sum(a["cmsis_o3"] or 0 for a in anchors[aname])
        row["anchor_layers"] = len(anchors[aname])
        row["matched_layers"] = len(match)
    if x86:
        row["tflm_x86"] = tflm_instructions(model.data, sample, runs=runs)
        host = bench(model, board="host", sample=sample, runs=runs, profile=False)
        row["ours_x86"] = host["instructions"]
        exact.append(host["bit_exact"])
    if portable:
        port = bench(model, board=QEMU_BOARD, sample=sample, portable=True, profile=False)
        row["qemu_portable"] = port["instructions"]
        exact.append(port["bit_exact"])
        tmp = tempfile.mkdtemp(prefix="tflm_py_speed_")
        try:
            man = generate(model, os.path.join(tmp, "b"), prefix="m")
            d = size_report(os.path.join(tmp, "b"), man["prefix"])
            p = size_report(os.path.join(tmp, "b"), man["prefix"],
                            extra_flags=["-DTFLM_PY_PORTABLE"])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        row["flash_dsp"], row["flash_portable"] = d["total"]["flash"], p["total"]["flash"]
        row["kernels_dsp"], row["kernels_portable"] = d["kernels"]["flash"], p["kernels"]["flash"]
    row["bit_exact"] = bool(all(exact))
    return row


def _ratio(a, b):
    return a / b if a is not None and b else None


def _fmt(v, spec=",.0f", none="—"):
    return none if v is None else format(v, spec)


def geomean(vals):
    vals = [v for v in vals if v]
    return math.exp(sum(math.log(v) for v in vals) / len(vals)) if vals else None


def model_table(rows) -> str:
    head = ("| model | anchor | MACs | ours M4 -Os | CMSIS-NN -Os | CMSIS-NN -O3 | ours/CMSIS Os | "
            "ours/CMSIS O3 | instr/MAC ours | instr/MAC CMSIS Os | conv+FC ours/CMSIS Os "
            "(geomean / max) | arena B | TFLM x86 | ours x86 | TFLM / ours x86 | bit-exact |")
    lines = [head, "|" + "|".join(["---"] * (head.count("|") - 1)) + "|"]
    ros, ro3 = [], []
    for r in rows:
        # the anchor's per-model total is the sum over its layers; ours likewise (layer_ticks)
        ours = r["ours_layers_os"]
        os_, o3 = r.get("cmsis_os"), r.get("cmsis_o3")
        q_os, q_o3 = _ratio(ours, os_), _ratio(ours, o3)
        ros.append(q_os)
        ro3.append(q_o3)
        cf = [_ratio(ly["ours_os"], ly["cmsis_os"]) for ly in r["layers"]
              if ly["type"] in ("CONV_2D", "FULLY_CONNECTED") and ly["cmsis_os"]]
        cf_s = f"{geomean(cf):.2f} / {max(cf):.2f}" if cf else "—"
        tx, ox = r.get("tflm_x86"), r.get("ours_x86")
        lines.append(
            f"| {r['model']} | {r.get('anchor') or '—'} | {r['macs']:,} | {ours:,} | "
            f"{_fmt(os_)} | {_fmt(o3)} | {_fmt(q_os, '.2f')} | {_fmt(q_o3, '.2f')} | "
            f"{_fmt(_ratio(ours, r['macs']), '.2f')} | {_fmt(_ratio(os_, r['macs']), '.2f')} | "
            f"{cf_s} | {r['arena']:,} | {_fmt(tx)} | {_fmt(ox)} | "
            f"{_fmt(_ratio(tx, ox), '.1f')} | {'yes' if r['bit_exact'] else 'NO'} |")
    g_os, g_o3 = geomean(ros), geomean(ro3)
    lines.append(f"| geomean | | | | | | {_fmt(g_os, '.2f')} | {_fmt(g_o3, '.2f')} | | | | | | | "
                 f"{_fmt(geomean([_ratio(r.get('tflm_x86'), r.get('ours_x86')) for r in rows]), '.1f')}"
                 f" | |")
    return "\n".join(lines)


def layer_table(r) -> str:
    head = ("| # | anchor # | op | shape (anchor) | MACs | ours M4 -Os | CMSIS-NN -Os | CMSIS-NN -O3 | "
            "ours/CMSIS Os | ours/CMSIS O3 | instr/MAC ours | instr/MAC CMSIS Os | variant | "
            "scratch B |")
    lines = [f"### {r['model']}" + (f" (anchor: {r['anchor']})" if r.get("anchor") else ""),
             "", head, "|" + "|".join(["---"] * (head.count("|") - 1)) + "|"]
    for ly in r["layers"]:
        m = ly["macs"] or None
        lines.append(
            f"| {ly['op_index']} | {_fmt(ly['anchor_index'], 'd')} | {ly['type']} | "
            f"{ly['shape']} | {_fmt(m)} | {_fmt(ly['ours_os'])} | {_fmt(ly['cmsis_os'])} | "
            f"{_fmt(ly['cmsis_o3'])} | {_fmt(_ratio(ly['ours_os'], ly['cmsis_os']), '.2f')} | "
            f"{_fmt(_ratio(ly['ours_os'], ly['cmsis_o3']), '.2f')} | "
            f"{_fmt(_ratio(ly['ours_os'], m), '.2f')} | {_fmt(_ratio(ly['cmsis_os'], m), '.2f')} | "
            f"{ly['variant']} | {ly['scratch']:,} |")
    q = [_ratio(ly["ours_os"], ly["cmsis_os"]) for ly in r["layers"] if ly["cmsis_os"]]
    if q:
        lines.append(f"| geomean | | | | | | | | {geomean(q):.2f} | | | | | |")
    return "\n".join(lines)


def portable_table(rows) -> str:
    rows = [r for r in rows if "qemu_portable" in r]
    if not rows:
        return ""
    head = ("| model | M4 portable instr/MAC | M4 DSP instr/MAC | flash portable | flash DSP (x) | "
            "kernels portable / DSP |")
    lines = [head, "|" + "|".join(["---"] * (head.count("|") - 1)) + "|"]
    for r in rows:
        pm = r["macs"] or None
        lines.append(
            f"| {r['model']} | {_fmt(_ratio(r['qemu_portable'], pm), '.2f')} "
            f"({r['qemu_portable']:,}) | {_fmt(_ratio(r['qemu_dsp'], pm), '.2f')} "
            f"({r['qemu_dsp']:,}) | {r['flash_portable']:,} | {r['flash_dsp']:,} "
            f"({r['flash_dsp'] / r['flash_portable']:.3f}) | "
            f"{r['kernels_portable']:,} / {r['kernels_dsp']:,} |")
    return "\n".join(lines)


def activation_type(model) -> str:
    """int16 when the model's first input is int16 (a 16x8 model), else its dtype name."""
    t = model.tensors[model.inputs[0]] if model.inputs else None
    return np.dtype(t.dtype).name if t is not None else "?"


def _stem(name: str) -> str:
    stem = os.path.splitext(os.path.basename(name))[0]
    for suffix in ("_16x8", "_int16", "_s16", "_like"):
        if stem.endswith(suffix):
            stem = stem[:-len(suffix)]
    return stem


def auto_pairs(rows) -> list:
    """(int8 path, int16 path) of models measured together whose names differ only by a
    16x8 suffix (ds_cnn.tflite and ds_cnn_like_16x8.tflite)."""
    int8 = {_stem(r["model"]): r["path"] for r in rows if r["activations"] == "int8"}
    return [(int8[_stem(r["model"])], r["path"]) for r in rows
            if r["activations"] == "int16" and _stem(r["model"]) in int8]


def pair_table(rows, pairs) -> str:
    """int16 beside int8 per model pair: instructions, instructions per MAC, ratio."""
    by_path = {r["path"]: r for r in rows}
    if not pairs:
        return ""
    head = ("| int8 model | int16 (16x8) model | MACs int8 / int16 | instr int8 | instr int16 | "
            "instr/MAC int8 | instr/MAC int16 | int16 / int8 (per MAC) |")
    lines = [head, "|" + "|".join(["---"] * (head.count("|") - 1)) + "|"]
    for a, b in pairs:
        r8, r16 = by_path[a], by_path[b]
        m8, m16 = _ratio(r8["qemu_dsp"], r8["macs"]), _ratio(r16["qemu_dsp"], r16["macs"])
        lines.append(f"| {r8['model']} | {r16['model']} | {r8['macs']:,} / {r16['macs']:,} | "
                     f"{r8['qemu_dsp']:,} | {r16['qemu_dsp']:,} | {_fmt(m8, '.2f')} | "
                     f"{_fmt(m16, '.2f')} | {_fmt(_ratio(m16, m8), '.2f')} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*", help=".tflite files")
    ap.add_argument("--runs", type=int, default=3, help="invokes counted per model (default 3)")
    ap.add_argument("--anchor", default=ANCHOR, help="the CMSIS-NN anchor file (markdown)")
    ap.add_argument("--no-x86", action="store_true", help="skip the callgrind columns")
    ap.add_argument("--no-portable", action="store_true",
                    help="skip the portable-C QEMU run and the flash columns")
    ap.add_argument("--json", action="store_true", help="print JSON rows instead of tables")
    ap.add_argument("--pair", action="append", default=[], metavar="INT8.tflite=INT16.tflite",
                    help="also measure this int8 / 16x8 pair and print int16 beside int8 "
                         "(repeatable; models named X and X[_like]_16x8 are paired anyway)")
    args = ap.parse_args(argv)
    pairs = []
    for spec in args.pair:
        a, sep, b = spec.partition("=")
        if not sep or not a or not b:
            print(f"error: --pair wants INT8.tflite=INT16.tflite, got {spec!r}", file=sys.stderr)
            return 2
        pairs.append((a, b))
    paths = list(args.models)
    for a, b in pairs:
        paths += [x for x in (a, b) if x not in paths]
    if not paths:
        print("error: no model given", file=sys.stderr)
        return 2
    for x in paths:
        if not os.path.isfile(x):
            print(f"error: no such model file: {x}", file=sys.stderr)
            return 2
    anchors = parse_anchor(args.anchor) if os.path.isfile(args.anchor) else {}
    if not anchors:
        print(f"note: no anchor figures ({args.anchor} missing)", file=sys.stderr)
    rows = []
    for path in paths:
        print(f"measuring {path} ...", file=sys.stderr)
        rows.append(measure(path, args.runs, anchors, x86=not args.no_x86,
                            portable=not args.no_portable))
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(model_table(rows))
        pairs += [pr for pr in auto_pairs(rows) if pr not in pairs]
        pt16 = pair_table(rows, pairs)
        if pt16:
            print("\n" + pt16)
        pt = portable_table(rows)
        if pt:
            print("\n" + pt)
        for r in rows:
            print("\n" + layer_table(r))
    return 0 if all(r["bit_exact"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
