"""Cross-compile a bundle for Cortex-M4 and measure flash/RAM with arm-none-eabi-size."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from .errors import ModelError

ARM_FLAGS = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16", "-Os",
             "-std=c99", "-Wall", "-Wextra", "-Werror", "-ffunction-sections", "-fdata-sections"]


def _sizes(obj: Path) -> dict:
    r = subprocess.run(["arm-none-eabi-size", "-A", str(obj)], capture_output=True, text=True,
                       timeout=60)
    flash = ram = code = 0
    for line in r.stdout.splitlines():
        parts = line.split()
        if len(parts) < 2 or not parts[1].isdigit():
            continue
        name, size = parts[0], int(parts[1])
        if name.startswith(".text"):
            flash += size
            code += size
        elif name.startswith(".rodata"):
            flash += size
        elif name.startswith(".data"):
            flash += size
            ram += size
        elif name.startswith((".bss", "COMMON")):
            ram += size
    return {"flash": flash, "ram": ram, "code": code}


def size_report(bundle_dir, prefix: str, extra_flags=()) -> dict:
    """Flash (.text+.rodata+.data), RAM (.data+.bss) and code (.text) of each part: model
    data, tables (the const arrays beside it that the manifest lists: weights re-laid out for
    a kernel, per-channel requantization, lookup tables), kernels, the rest (schedule,
    parameter structs, API)."""
    if shutil.which("arm-none-eabi-gcc") is None:
        raise ModelError("arm-none-eabi-gcc not found (apt-get install gcc-arm-none-eabi)")
    bundle_dir = Path(bundle_dir)
    out = {p: {"flash": 0, "ram": 0, "code": 0} for p in ("model_data", "kernels", "rest")}
    with tempfile.TemporaryDirectory() as tmp:
        srcs = [p for p in sorted(bundle_dir.glob("*.c")) if p.name != "host_runner_main.c"]
        srcs += sorted((bundle_dir / "kernels").glob("*.c"))
        for src in srcs:
            obj = Path(tmp) / (src.stem + ".o")
            cmd = ["arm-none-eabi-gcc", *ARM_FLAGS, *extra_flags, "-I", str(bundle_dir),
                   "-I", str(bundle_dir / "kernels"), "-c", str(src), "-o", str(obj)]
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
            if r.returncode != 0:
                raise ModelError(f"cross build of {src.name} failed: {r.stderr.strip()[:500]}")
            s = _sizes(obj)
            part = ("model_data" if src.name == f"{prefix}_model_data.c"
                    else "kernels" if src.parent.name == "kernels" else "rest")
            for k in s:
                out[part][k] += s[k]
    tables = 0
    manifest = bundle_dir / "manifest.json"
    if manifest.is_file():
        import json
        tables = int(json.loads(manifest.read_text()).get("table_bytes", 0))
    tables = min(tables, out["rest"]["flash"])
    out["tables"] = {"flash": tables, "ram": 0, "code": 0}
    out["rest"]["flash"] -= tables
    out["total"] = {k: sum(out[p][k] for p in ("model_data", "tables", "kernels", "rest"))
                    for k in ("flash", "ram", "code")}
    return out
