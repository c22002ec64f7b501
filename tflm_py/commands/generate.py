"""tflm-py generate: write the C bundle (or a whole PlatformIO project with --board)."""
from __future__ import annotations

import json
import os
import sys


def add_parser(sub):
    p = sub.add_parser("generate", help="generate the C bundle / a PlatformIO project",
                       description="Generate a self-contained C99 bundle for MODEL, or with "
                                   "--board a complete PlatformIO project.")
    p.add_argument("model", help=".tflite file")
    p.add_argument("-o", "--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--prefix", metavar="NAME", help="C name prefix (default: model file name)")
    p.add_argument("--board", metavar="B", help="write a PlatformIO project for board B")
    p.add_argument("--protocol", default="tflm-py", choices=["tflm-py", "mlperf-tiny"],
                   help="firmware protocol with --board (default tflm-py)")
    from ..mlperf_firmware import INPUT_MODES, MODEL_IDS
    p.add_argument("--mlperf-model", metavar="ID",
                   help="with --protocol mlperf-tiny: the model id the firmware reports ("
                        + ", ".join(MODEL_IDS) + "; default: guessed from the model's name "
                        "or input shape)")
    p.add_argument("--mlperf-input", choices=INPUT_MODES, metavar="MODE",
                   help="with --protocol mlperf-tiny: how the `db` bytes become the input: "
                        + ", ".join(INPUT_MODES) + " (default: the benchmark's own format, "
                        "int8 for kws01/sww01, u8-minus-128 for vww01/ic01 (uint8 for a uint8 "
                        "input), float32 for ad01)")
    p.add_argument("--report", action="store_true",
                   help="cross-compile for Cortex-M4 (-Os) and report flash/RAM")
    p.add_argument("--no-inplace", action="store_true", help="plan without in-place/overlap rules")
    from ..options import add_optimize_options
    add_optimize_options(p)
    from ..options import add_force
    add_force(p)
    return p


def run(args) -> int:
    from ..passes import load_model
    model = load_model(args.model)
    if args.board:
        from ..boards import make_project
        path = make_project(model, args.board, args.out, prefix=args.prefix,
                            protocol=args.protocol, mlperf_model=args.mlperf_model,
                            mlperf_input=args.mlperf_input, force=args.force,
                            optimize=args.optimize, ram_budget=args.ram_budget,
                            inplace=not args.no_inplace)
        print(f"wrote PlatformIO project for {args.board} to {path}")
        print_budget(path)
        from ..pio import PioError, ensure_core
        try:        # the offline tool-scons `pio run` in the project needs
            ensure_core()
        except (PioError, ImportError, OSError) as e:
            print(f"note: PlatformIO's core is not prepared ({e}); `tflm-py run` builds "
                  "the project", file=sys.stderr)
        return 0
    from ..codegen import generate
    from .. import ops
    from ..planner import format_tradeoffs
    ops.check_model(model)      # before the rooms' geometry runs in the planner
    from ..boards import plan_for_budget
    budget = None if args.ram_budget is None else \
        {"bytes": args.ram_budget, "source": "--ram-budget"}
    # within --ram-budget, or one line `error:` with the bytes when even the smallest arena
    # exceeds it
    plan = plan_for_budget(model, budget, args.optimize, inplace=not args.no_inplace,
                           what=os.path.basename(args.model))
    man = generate(model, args.out, prefix=args.prefix, plan=plan, source=args.model,
                   force=args.force)
    print(f"wrote {args.out}/: {man['prefix']}.c/.h, {man['prefix']}_model_data.c/.h, "
          f"{len(man['kernels'])} kernels ({', '.join(man['kernels'])}), manifest.json")
    print(f"arena {man['arena_bytes']} bytes, state {man['state_bytes']} bytes, "
          f"constants {man['model_bytes']} bytes (of the .tflite's {man['tflite_bytes']})")
    if args.report:
        from ..boards import format_budget
        print(format_budget(budget))
        print(format_tradeoffs(plan))
        print(format_widened(man, plan))
        from ..report import size_report
        rep = size_report(args.out, man["prefix"])
        man["size_report"] = rep
        from ..outdir import update_file
        update_file(args.out, "manifest.json", json.dumps(man, indent=2, sort_keys=True) + "\n")
        print(format_report(rep))
    return 0


def format_widened(man: dict, plan) -> str:
    """The flash choice of the weights: int16 copies made for faster kernels (bytes over the
    int8 weights), or none (optimize flash)."""
    wide = man.get("widened_weights") or []
    if getattr(plan, "int8_weights", False):
        return "weights: int8 as in the model (optimize flash: no int16 copies)"
    if not wide:
        return "weights: no int16 copies (no kernel here reads widened weights)"
    extra = sum(w["bytes"] - w["int8_bytes"] for w in wide)
    ops_ = sorted({w["op"] for w in wide if w["op"] is not None})
    return (f"weights: int16 copies for speed in op(s) {', '.join(f'#{o}' for o in ops_)}: "
            f"+{extra:,} B flash over their int8 size (--optimize flash keeps them int8)")


def print_budget(project_dir) -> None:
    """The RAM budget a board project was planned for, its arena and the kernel variants."""
    from ..boards import format_budget, load_project
    proj = load_project(project_dir)
    print(format_budget(proj.get("ram_budget")))
    ram = (proj.get("fit") or {}).get("ram") or {}
    if "arena" in ram:
        print(f"arena {ram['arena']:,} B (optimize {proj.get('optimize', 'speed')})")
    if proj.get("kernel_variants"):
        print(proj["kernel_variants"])


def format_report(rep: dict) -> str:
    how = ("linked (--gc-sections: only what the layers call)" if rep.get("linked")
           else "objects, unlinked")
    lines = [f"Cortex-M4 (-Os) sizes, {how}: flash = constants + kernels + glue",
             f"  {'part':<16}{'flash':>10}{'ram':>10}{'(code)':>10}"]
    zero = {"flash": 0, "ram": 0, "code": 0}
    constants = rep.get("constants") or {
        k: rep.get("model_data", zero)[k] + rep.get("tables", zero)[k] for k in zero}
    for r, label in ((constants, "constants"), (rep.get("model_data", zero), "  model data"),
                     (rep.get("tables", zero), "  tables"), (rep.get("kernels", zero), "kernels"),
                     (rep.get("rest", zero), "glue"), (rep.get("total", zero), "total")):
        lines.append(f"  {label:<16}{r['flash']:>10}{r['ram']:>10}{r['code']:>10}")
    if rep.get("library"):
        r = rep["library"]
        lines.append(f"  {'(+ C library)':<16}{r['flash']:>10}{r['ram']:>10}{r['code']:>10}")
    return "\n".join(lines)
