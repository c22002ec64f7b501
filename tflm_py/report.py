"""Cross-compile a bundle for Cortex-M4 and measure flash/RAM with arm-none-eabi-size."""
from __future__ import annotations

import re
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


_MAP_LINE = re.compile(r"^ (\.\S+|COMMON)?\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)\s+(\S+\.o\)?)\s*$")


def _linked_sizes(map_text: str) -> dict:
    """{object path: {"flash", "ram", "code"}} of the input sections a GNU ld map file kept
    (after --gc-sections): .text / .rodata / .data count as flash, .data / .bss as RAM."""
    start = map_text.find("Linker script and memory map")
    out: dict = {}
    section = None
    for line in map_text[max(start, 0):].splitlines():
        m = _MAP_LINE.match(line)
        if m is None:
            head = line.split()
            section = head[0] if len(head) == 1 and line.startswith(" .") else section
            continue
        name = m.group(1) or section
        section = None
        size = int(m.group(3), 16)
        if name is None or size == 0 or int(m.group(2), 16) == 0:
            continue
        s = out.setdefault(m.group(4), {"flash": 0, "ram": 0, "code": 0})
        if name.startswith(".text"):
            s["flash"] += size
            s["code"] += size
        elif name.startswith(".rodata"):
            s["flash"] += size
        elif name.startswith(".data"):
            s["flash"] += size
            s["ram"] += size
        elif name.startswith((".bss", "COMMON")):
            s["ram"] += size
    return out


_STUB_MAIN = """#include "{prefix}.h"
/* what a firmware calls: the bundle's API, so the link keeps what it needs */
int main(void)
{{
    {prefix}_reset();
    {prefix}_input(0)[0] = 0;
    const int r = {prefix}_invoke();
    return r + {prefix}_output(0)[0];
}}
"""


def size_report(bundle_dir, prefix: str, extra_flags=()) -> dict:
    """Flash (.text+.rodata+.data), RAM (.data+.bss) and code (.text) of each part of the
    bundle as linked for a Cortex-M4 (-Os, --gc-sections, newlib-nano; a main() that calls
    the bundle's API): model data, tables (the const arrays beside it that the manifest
    lists: weights re-laid out for a kernel, per-channel requantization, lookup tables),
    kernels (only the functions the layers call), the rest (glue: schedule, parameter
    structs, API); "total" is their sum. "library": what the C library and startup code add
    to a firmware (not in the total). "linked": False when linking failed and the parts are
    the objects' whole sizes."""
    if shutil.which("arm-none-eabi-gcc") is None:
        raise ModelError("arm-none-eabi-gcc not found (apt-get install gcc-arm-none-eabi)")
    bundle_dir = Path(bundle_dir)
    out = {p: {"flash": 0, "ram": 0, "code": 0} for p in ("model_data", "kernels", "rest")}
    library = {"flash": 0, "ram": 0, "code": 0}
    linked = False
    with tempfile.TemporaryDirectory() as tmp:
        # the kernels first: of a helper defined weak in every file that includes the kernel
        # header (tflm_common.h), the linker keeps the first copy, which is a kernel's
        srcs = sorted((bundle_dir / "kernels").glob("*.c"))
        srcs += [p for p in sorted(bundle_dir.glob("*.c")) if p.name != "host_runner_main.c"]
        objs = {}
        for src in srcs:
            obj = Path(tmp) / (("k_" if src.parent.name == "kernels" else "b_") + src.stem + ".o")
            cmd = ["arm-none-eabi-gcc", *ARM_FLAGS, *extra_flags, "-I", str(bundle_dir),
                   "-I", str(bundle_dir / "kernels"), "-c", str(src), "-o", str(obj)]
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
            if r.returncode != 0:
                raise ModelError(f"cross build of {src.name} failed: {r.stderr.strip()[:500]}")
            objs[str(obj)] = ("model_data" if src.name == f"{prefix}_model_data.c"
                              else "kernels" if src.parent.name == "kernels" else "rest")
        stub = Path(tmp) / "stub_main.c"
        stub.write_text(_STUB_MAIN.format(prefix=prefix))
        stub_obj = Path(tmp) / "stub_main.o"
        elf, mapf = Path(tmp) / "bundle.elf", Path(tmp) / "bundle.map"
        r = subprocess.run(["arm-none-eabi-gcc", *ARM_FLAGS, "-I", str(bundle_dir), "-c",
                            str(stub), "-o", str(stub_obj)], capture_output=True, text=True,
                           timeout=300)
        if r.returncode == 0:
            r = subprocess.run(["arm-none-eabi-gcc", *ARM_FLAGS, "-Wl,--gc-sections",
                                "--specs=nano.specs", "--specs=nosys.specs",
                                f"-Wl,-Map={mapf}", *objs, str(stub_obj), "-o", str(elf), "-lm"],
                               capture_output=True, text=True, timeout=300)
        if r.returncode == 0 and mapf.is_file():
            linked = True
            for path, s in _linked_sizes(mapf.read_text(errors="replace")).items():
                part = objs.get(path)
                target = out[part] if part else (None if path == str(stub_obj) else library)
                if target is not None:
                    for k in s:
                        target[k] += s[k]
        else:
            for obj, part in objs.items():
                s = _sizes(Path(obj))
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
    out["constants"] = {k: out["model_data"][k] + out["tables"][k]
                        for k in ("flash", "ram", "code")}
    out["library"] = library
    out["linked"] = linked
    return out
