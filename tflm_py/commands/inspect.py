"""tflm-py inspect: ops, tensors, MACs, memory and supported ops of a model."""
from __future__ import annotations

import json


def add_parser(sub):
    p = sub.add_parser("inspect", help="show ops, tensors, MACs and supported ops of a model",
                       description="Show MODEL's ops in order (shapes, MACs), its tensors (sizes, "
                                   "quantization), constant and activation bytes, and which op "
                                   "types tflm_py supports.")
    p.add_argument("model", help=".tflite file")
    p.add_argument("--json", action="store_true", help="print the facts as JSON")
    return p


def run(args) -> int:
    from ..inspect import format_text, inspect_model
    from ..passes import load_model
    info = inspect_model(load_model(args.model))
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        print(format_text(info))
    return 0
