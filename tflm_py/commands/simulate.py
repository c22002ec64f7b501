"""tflm-py simulate: run the bit-exact numpy simulator on a model."""
from __future__ import annotations

import numpy as np

from ..labels import read_labels


def add_parser(sub):
    p = sub.add_parser("simulate", help="run the bit-exact int8 simulator",
                       description="Run MODEL in the numpy simulator (bit-exact with TFLM).")
    p.add_argument("model", help=".tflite file")
    p.add_argument("--input", "-i", action="append", default=[], metavar="X.npy",
                   help="input array (.npy), once per model input; random if omitted")
    p.add_argument("--output", "-o", metavar="OUT.npy",
                   help="write the output (.npy; .npz when the model has several outputs)")
    p.add_argument("--dump-dir", metavar="DIR", help="write every tensor as DIR/<index>_<name>.npy")
    from ..options import add_seed
    add_seed(p)
    p.add_argument("--labels", metavar="FILE", help="class names, one per line (top-1 is printed)")
    from ..options import add_quantize
    add_quantize(p)
    return p


def run(args) -> int:
    from ..passes import load_model
    from ..inputs import default_samples, load_singles, model_specs
    from ..simulator import Simulator, dump_tensors
    from ..outdir import OutputError, check_file_path, make_folder, write_file

    model = load_model(args.model)
    if args.output:     # a bad output path is found before the simulation, not after
        check_file_path(args.output)
    sim = Simulator(model)
    specs = model_specs(model)
    if args.input:
        xs = load_singles(args.input, specs, args.quantize)
    else:
        xs = default_samples(specs, 1, args.seed)[0]
        print(f"(random input, seed {args.seed})")
    values: dict = {}
    outs = sim.run(xs, dump=values if args.dump_dir else None)
    labels = read_labels(args.labels) or model.labels
    for i, y in enumerate(outs):
        t = model.tensors[model.outputs[i]]
        flat = y.reshape(-1)
        shown = np.array2string(flat[:32], max_line_width=100)
        print(f"output {i} {t.name!r} {t.dtype.name}{list(t.shape)}: {shown}"
              + (" ..." if flat.size > 32 else ""))
        if labels and flat.size == len(labels):
            k = int(np.argmax(flat))
            print(f"  top-1: {labels[k]} ({flat[k]})")
    if args.output:
        import io
        buf = io.BytesIO()
        if len(outs) == 1:
            np.save(buf, outs[0])
        else:
            np.savez(buf, *outs)
        write_file(args.output, buf.getvalue())     # exactly that name, no suffix added
        print(f"wrote {args.output}")
    if args.dump_dir:
        make_folder(args.dump_dir)
        try:
            files = dump_tensors(model, values, args.dump_dir)
        except OSError as e:
            raise OutputError(f"cannot write into {args.dump_dir}: "
                              f"{e.strerror or e}") from None
        print(f"wrote {len(files)} tensors to {args.dump_dir}/")
    return 0
