"""tflm-py plan: the static memory plan of a model (order, offsets, arena size, bound)."""
from __future__ import annotations

import json
import os

from ..errors import UsageError


def add_parser(sub):
    p = sub.add_parser("plan", help="plan the tensor arena (exact size at build time)",
                       description="Plan MODEL's tensor arena: execution order, lifetimes, "
                                   "offsets, in-place reuse; print the table, the arena size, "
                                   "the liveness lower bound and the naive sum.")
    p.add_argument("model", help=".tflite file")
    p.add_argument("--json", action="store_true", help="print the plan as JSON")
    p.add_argument("--svg", metavar="FILE", help="draw the arena over time into FILE (.svg)")
    p.add_argument("--no-inplace", action="store_true",
                   help="no in-place rules (alias / elementwise / overlap)")
    from ..options import add_optimize_options
    add_optimize_options(p)
    p.add_argument("--board", metavar="B",
                   help="plan within board B's RAM budget: its RAM less stack, firmware "
                        "statics, framework and state (--ram-budget overrides it)")
    p.add_argument("--align", type=int, default=16, metavar="N",
                   help="offset alignment in bytes, a power of two (default 16)")
    return p


def _step_name(plan, step) -> str:
    n = len(plan.order)
    if step < 0:
        return "input"
    if step >= n:
        return "output"
    return f"#{plan.order[step]}"


def _table(model, plan) -> str:
    n = len(plan.order)
    lines = [f"model: {model.name}   ops: {n}   arena tensors: {len(plan.offsets)}   "
             f"align: {plan.align}   in-place: {'on' if plan.inplace_enabled else 'off'}",
             f"order ({plan.order_source}): " + " ".join(str(v) for v in plan.order), ""]
    rows = plan.tensor_rows()
    hdr = f"{'tensor':>6}  {'bytes':>8}  {'offset':>8}  {'end':>8}  {'first op':>8}  " \
          f"{'last op':>8}  note / name"
    lines += [hdr, "-" * len(hdr)]
    for r in rows:
        t = r["index"]
        note = ""
        if t in plan.aliases:
            root = plan.aliases[t]
            d = plan.offsets[t] - plan.offsets[root]
            note = (f"alias of {root}; " if d == 0 and plan.sizes[t] == plan.sizes[root]
                    else f"view in {root} at {d:+d}; ")
        elif t in plan.inplace:
            src, rule, d = plan.inplace[t]
            note = f"{rule} over {src} ({d:+d}); "
        lines.append(f"{t:>6}  {r['bytes']:>8,}  {r['offset']:>8,}  "
                     f"{r['offset'] + r['bytes']:>8,}  {_step_name(plan, r['first_step']):>8}  "
                     f"{_step_name(plan, r['last_step']):>8}  {note}{model.tensors[t].name[:60]}")
    for v, (off, b) in sorted(plan.scratch.items()):
        lines.append(f"{'scr':>6}  {b:>8,}  {off:>8,}  {off + b:>8,}  {'#' + str(v):>8}  "
                     f"{'#' + str(v):>8}  scratch of op #{v} {model.operators[v].type}")
    lines.append("")
    peak = "" if plan.peak_op is None else \
        f" (peak at step {plan.peak_step}: op #{plan.peak_op} {model.operators[plan.peak_op].type})"
    lines.append(f"arena:              {plan.arena_bytes:>10,} bytes   placement: {plan.strategy}")
    lines.append(f"lower bound:        {plan.lower_bound_bytes:>10,} bytes{peak}")
    if plan.gap_bytes:
        pct = 100.0 * plan.gap_bytes / max(plan.lower_bound_bytes, 1)
        lines.append(f"gap to the bound:   {plan.gap_bytes:>10,} bytes ({pct:.1f}%)")
    else:
        lines.append("the arena meets the lower bound")
    lines.append(f"no in-place bound:  {plan.no_inplace_bound_bytes:>10,} bytes")
    lines.append(f"naive sum:          {plan.naive_bytes:>10,} bytes (every tensor and scratch "
                 f"buffer in its own slot)")
    return "\n".join(lines)


def run(args) -> int:
    from ..plan_svg import plan_svg
    from ..plan_verify import verify_plan
    from ..planner import plan as make_plan
    from ..passes import load_model

    if args.align < 1 or args.align & (args.align - 1):
        raise UsageError(f"--align must be a power of two >= 1, got {args.align}")
    model = load_model(args.model)
    from .. import ops
    # the checks `generate` runs: a model it refuses is refused here too, before the rooms'
    # geometry (which assumes a checked op) or any allocation runs
    ops.check_model(model)
    if args.board:
        from ..boards import arena_budget, get_board, plan_for_budget
        board = get_board(args.board)
        budget = {"bytes": args.ram_budget, "source": "--ram-budget"} \
            if args.ram_budget is not None else arena_budget(board, model)
        p = plan_for_budget(model, budget, args.optimize, inplace=not args.no_inplace,
                            what=os.path.basename(args.model), align=args.align)
    else:
        budget = None if args.ram_budget is None else \
            {"bytes": args.ram_budget, "source": "--ram-budget"}
        p = make_plan(model, align=args.align, inplace=not args.no_inplace,
                      optimize=args.optimize, ram_budget=args.ram_budget)
        p.ram_budget_source = None if budget is None else budget["source"]
    verify_plan(model, p)
    if args.svg:
        svg = plan_svg(model, p, title=os.path.basename(args.model))
        try:
            with open(args.svg, "w", encoding="utf-8") as f:
                f.write(svg)
        except OSError as e:
            raise UsageError(f"{args.svg}: cannot write ({e.strerror})") from None
    if args.json:
        d = p.to_dict()
        d["model"] = model.name
        d["ram_budget_detail"] = budget
        names = {t.index: t.name for t in model.tensors}
        for r in d["tensors"]:
            r["name"] = names[r["index"]]
        print(json.dumps(d, indent=1))
    else:
        from ..planner import format_tradeoffs
        from ..boards import format_budget
        print(_table(model, p))
        print(format_budget(budget))
        if budget is not None and p.arena_bytes > budget["bytes"]:
            print(f"note: the arena ({p.arena_bytes:,} B) exceeds the budget by "
                  f"{p.arena_bytes - budget['bytes']:,} B even with every trade-off below")
        print(format_tradeoffs(p))
        if args.svg:
            print(f"wrote {args.svg}")
    return 0
