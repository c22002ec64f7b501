"""Build a generated bundle natively with the host gcc and run it: the test runner.

The runner program reads samples from stdin (all inputs' bytes, back to back) and, for
each, invokes and writes all outputs' bytes to stdout, until EOF. State persists across
samples in one run, exactly as on a board.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from .codegen import generate
from .errors import ModelError
from .ir import Model
from .passes import load_model

CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-O2"]
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", "-g"]

RUNNER_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include "{prefix}.h"

static int read_all(unsigned char *p, size_t n)
{{
    size_t got = 0;
    while (got < n) {{
        size_t r = fread(p + got, 1, n - got, stdin);
        if (r == 0) return got == 0 ? 0 : -1;
        got += r;
    }}
    return 1;
}}

int main(void)
{{
    for (;;) {{
        for (int i = 0; i < {PREFIX}_INPUT_COUNT; ++i) {{
            int r = read_all((unsigned char *){prefix}_input(i), (size_t){prefix}_input_info[i].bytes);
            if (r == 0 && i == 0) return 0;
            if (r != 1) {{ fprintf(stderr, "short input\n"); return 3; }}
        }}
        if ({prefix}_invoke() != 0) {{ fprintf(stderr, "invoke failed\n"); return 4; }}
        for (int i = 0; i < {PREFIX}_OUTPUT_COUNT; ++i) {{
            fwrite({prefix}_output(i), 1, (size_t){prefix}_output_info[i].bytes, stdout);
        }}
        fflush(stdout);
    }}
}}
"""


def build_host(bundle_dir, prefix: str, exe: Path, sanitize: bool = False,
               extra_flags: Sequence[str] = ()) -> Path:
    bundle_dir = Path(bundle_dir)
    runner = bundle_dir / "host_runner_main.c"
    runner.write_text(RUNNER_C.format(prefix=prefix, PREFIX=prefix.upper()))
    srcs = [str(p) for p in sorted(bundle_dir.glob("*.c"))] + \
           [str(p) for p in sorted((bundle_dir / "kernels").glob("*.c"))]
    cmd = [os.environ.get("CC", "gcc"), *CFLAGS, *(SANITIZE if sanitize else []), *extra_flags,
           "-I", str(bundle_dir), "-I", str(bundle_dir / "kernels"), *srcs, "-o", str(exe), "-lm"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise RuntimeError(f"host build failed:\n{' '.join(cmd)}\n{r.stderr[-4000:]}")
    return exe


def run_host(model, samples: Sequence[Sequence[np.ndarray]], sanitize: bool = False,
             work_dir: Optional[str] = None, prefix: str = "m", plan=None,
             extra_flags: Sequence[str] = ()) -> list[list[np.ndarray]]:
    """Generate, build and run `model` natively on `samples` (list of per-sample input lists).
    Returns per-sample output lists. State carries across samples within the call."""
    if not isinstance(model, Model):
        model = load_model(model)
    own = work_dir is None
    wd = Path(tempfile.mkdtemp(prefix="tflm_py_host_")) if own else Path(work_dir)
    try:
        bundle = wd / "bundle"
        man = generate(model, bundle, prefix=prefix, plan=plan)
        exe = build_host(bundle, man["prefix"], wd / "runner", sanitize=sanitize,
                         extra_flags=extra_flags)
        blob = bytearray()
        for sample in samples:
            if len(sample) != len(model.inputs):
                raise ModelError(f"model has {len(model.inputs)} inputs, sample has {len(sample)}")
            for t_idx, x in zip(model.inputs, sample):
                t = model.tensors[t_idx]
                blob += np.ascontiguousarray(np.asarray(x).astype(t.dtype).reshape(t.shape)).tobytes()
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0:abort_on_error=0",
                   UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
        r = subprocess.run([str(exe)], input=bytes(blob), capture_output=True, timeout=600, env=env)
        if r.returncode != 0:
            raise RuntimeError(f"host runner failed ({r.returncode}):\n{r.stderr.decode(errors='replace')[-4000:]}")
        out = r.stdout
        per = [model.tensors[t] for t in model.outputs]
        need = sum(t.nbytes for t in per) * len(samples)
        if len(out) != need:
            raise RuntimeError(f"host runner wrote {len(out)} bytes, expected {need}")
        results, pos = [], 0
        for _ in samples:
            outs = []
            for t in per:
                outs.append(np.frombuffer(out, dtype=t.dtype, count=t.size, offset=pos).reshape(t.shape).copy())
                pos += t.nbytes
            results.append(outs)
        return results
    finally:
        if own:
            shutil.rmtree(wd, ignore_errors=True)


_MANY_MAIN = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
{includes}

static int read_all(unsigned char *p, size_t n)
{{
    size_t got = 0;
    while (got < n) {{
        size_t r = fread(p + got, 1, n - got, stdin);
        if (r == 0) return got == 0 ? 0 : -1;
        got += r;
    }}
    return 1;
}}

#define SERVE(prefix, PREFIX)                                                          \
    for (;;) {{                                                                          \
        for (int i = 0; i < PREFIX##_INPUT_COUNT; ++i) {{                               \
            int r = read_all((unsigned char *)prefix##_input(i),                       \
                             (size_t)prefix##_input_info[i].bytes);                    \
            if (r == 0 && i == 0) return 0;                                            \
            if (r != 1) {{ fprintf(stderr, "short input\n"); return 3; }}               \
        }}                                                                              \
        if (prefix##_invoke() != 0) {{ fprintf(stderr, "invoke failed\n"); return 4; }} \
        for (int i = 0; i < PREFIX##_OUTPUT_COUNT; ++i) {{                              \
            fwrite(prefix##_output(i), 1, (size_t)prefix##_output_info[i].bytes, stdout); \
        }}                                                                              \
        fflush(stdout);                                                                 \
    }}

int main(int argc, char **argv)
{{
    const int which = argc > 1 ? atoi(argv[1]) : -1;
    switch (which) {{
{cases}
    default:
        fprintf(stderr, "no model %d\n", which);
        return 2;
    }}
}}
"""


def run_host_many(models: Sequence, samples: Sequence[Sequence[Sequence[np.ndarray]]],
                  sanitize: bool = False, work_dir: Optional[str] = None
                  ) -> list[list[list[np.ndarray]]]:
    """run_host for many models with one compiler run: every bundle (prefix m0, m1, ...) and
    one copy of each kernel linked into a single runner that serves the model named by its
    argument. samples[i] are the samples of models[i]; returns outputs per model, per sample."""
    models = [m if isinstance(m, Model) else load_model(m) for m in models]
    own = work_dir is None
    wd = Path(tempfile.mkdtemp(prefix="tflm_py_host_many_")) if own else Path(work_dir)
    try:
        kernels = wd / "kernels"
        kernels.mkdir(parents=True, exist_ok=True)
        srcs, includes, cases = [], [], []
        for i, model in enumerate(models):
            bundle = wd / f"b{i}"
            man = generate(model, bundle, prefix=f"m{i}")
            p = man["prefix"]
            srcs += [str(s) for s in sorted(bundle.glob("*.c"))]
            for k in (bundle / "kernels").iterdir():
                if not (kernels / k.name).exists():
                    shutil.copy(k, kernels / k.name)
            includes.append(f'#include "{p}.h"')
            cases.append(f"    case {i}: {{ SERVE({p}, {p.upper()}) }}")
        main = wd / "many_main.c"
        main.write_text(_MANY_MAIN.format(includes="\n".join(includes), cases="\n".join(cases)))
        srcs += [str(main)] + [str(k) for k in sorted(kernels.glob("*.c"))]
        incs = [a for i in range(len(models)) for a in ("-I", str(wd / f"b{i}"))]
        exe = wd / "runner"
        cmd = [os.environ.get("CC", "gcc"), *CFLAGS, *(SANITIZE if sanitize else []),
               *incs, "-I", str(kernels), *srcs, "-o", str(exe), "-lm"]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        if r.returncode != 0:
            raise RuntimeError(f"host build failed:\n{r.stderr[-4000:]}")
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0:abort_on_error=0",
                   UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
        results = []
        for i, (model, smp) in enumerate(zip(models, samples)):
            blob = bytearray()
            for sample in smp:
                for t_idx, x in zip(model.inputs, sample):
                    t = model.tensors[t_idx]
                    blob += np.ascontiguousarray(
                        np.asarray(x).astype(t.dtype).reshape(t.shape)).tobytes()
            r = subprocess.run([str(exe), str(i)], input=bytes(blob), capture_output=True,
                               timeout=600, env=env)
            if r.returncode != 0:
                raise RuntimeError(f"host runner failed on model {i} ({r.returncode}):\n"
                                   f"{r.stderr.decode(errors='replace')[-4000:]}")
            per = [model.tensors[t] for t in model.outputs]
            out, pos, outs = r.stdout, 0, []
            if len(out) != sum(t.nbytes for t in per) * len(smp):
                raise RuntimeError(f"model {i}: runner wrote {len(out)} bytes")
            for _ in smp:
                o = []
                for t in per:
                    o.append(np.frombuffer(out, dtype=t.dtype, count=t.size, offset=pos)
                             .reshape(t.shape).copy())
                    pos += t.nbytes
                outs.append(o)
            results.append(outs)
        return results
    finally:
        if own:
            shutil.rmtree(wd, ignore_errors=True)
