"""tflm-py bench: instructions per inference and per layer of the generated code."""
from __future__ import annotations

import json

from ..errors import UsageError


def add_parser(sub):
    p = sub.add_parser(
        "bench", help="count instructions per inference and per layer",
        description="Build MODEL's generated code and count instructions: on QEMU's "
                    "mps2-an386 (Cortex-M4F, -icount shift=0; the DSP kernels unless "
                    "--portable) or on the host (valgrind callgrind over the x86-64 build). "
                    "Prints per-layer and total instructions, instructions per MAC, the top "
                    "layers, and the top-1 class when the model has labels (or --labels).")
    p.add_argument("model", help=".tflite file")
    p.add_argument("--board", default="qemu-mps2-an386", choices=["qemu-mps2-an386", "host"],
                   help="where to count (default qemu-mps2-an386)")
    p.add_argument("--portable", action="store_true",
                   help="build with -DTFLM_PY_PORTABLE (the portable C kernels)")
    p.add_argument("--input", "-i", action="append", default=[], metavar="X.npy",
                   help="input array (.npy), once per model input; random if omitted")
    from ..options import add_seed
    add_seed(p)
    p.add_argument("--opt", default="-Os", metavar="FLAG",
                   help="optimisation flag of the QEMU build (default -Os, as the firmware)")
    p.add_argument("--labels", metavar="FILE", help="class names, one per line")
    p.add_argument("--top", type=int, default=5, metavar="N", help="top layers to list")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    from ..options import add_quantize
    add_quantize(p)
    return p


def run(args) -> int:
    from ..bench import bench, format_bench
    from ..passes import load_model
    from ..inputs import load_singles, model_specs
    from ..labels import read_labels

    if args.top < 0:
        raise UsageError("--top must be >= 0")
    model = load_model(args.model)
    sample = None
    if args.input:
        sample = load_singles(args.input, model_specs(model), args.quantize)
    labels = read_labels(args.labels) if args.labels else model.labels
    r = bench(model, board=args.board, portable=args.portable, sample=sample, seed=args.seed,
              opt=args.opt)
    if args.json:
        out = {k: v for k, v in r.items() if k not in ("outputs", "sample")}
        out["instructions_per_mac"] = (r["instructions"] / r["macs"]) if r["macs"] else None
        if labels:
            import numpy as np
            y = np.asarray(r["outputs"][0]).reshape(-1)
            k = int(np.argmax(y))
            out["top1"] = {"index": k, "label": labels[k] if k < len(labels) else None}
        print(json.dumps(out, indent=2))
    else:
        if sample is None:
            print(f"(random input, seed {args.seed})")
        print(format_bench(r, top=args.top, labels=labels))
    return 0 if r["bit_exact"] else 1
