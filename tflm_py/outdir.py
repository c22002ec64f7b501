"""Output folders that tflm-py writes (bundles, PlatformIO projects) without ever losing a
user's file.

Every folder tflm-py generates holds RECORD (`tflm_py_files.json`): the files it wrote,
each with its sha256. Writing again into a folder:

- a new folder, or an empty one: the files are staged in a temporary folder beside it and
  moved into place in one rename: on failure nothing is left;
- a folder with our RECORD: only the files in the record are replaced or (when the new
  generation no longer has them) removed; every other file (`.git/`, `.pio/`, a user's
  `src/my_sensor.c`, `NOTES.md`) stays. A recorded file edited since it was written, or a
  user's file where a generated one would go, stops the write (naming the file) unless
  `force`;
- any other non-empty folder (no RECORD; a `manifest.json` of some web app is not ours)
  is left untouched: an error.

Folders made by tflm-py before the record existed (a bundle's `manifest.json` with
`generator_version`, a project's `tflm_py_project.json`) count as ours with no record:
only the files the new generation writes are replaced.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Mapping, Optional, Union

from .errors import ModelError

RECORD = "tflm_py_files.json"


class OutputError(ModelError):
    """An output folder tflm-py cannot or must not write."""


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path) -> Optional[str]:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    except OSError:
        return None
    return h.hexdigest()


def _os_error(path, e: OSError, doing: str = "write") -> OutputError:
    why = {errno.EACCES: "permission denied", errno.EPERM: "operation not permitted",
           errno.EROFS: "read-only file system", errno.ENOSPC: "no space left on the device",
           errno.ENOTDIR: "a part of the path is a file, not a folder",
           errno.ELOOP: "a symbolic link loop", errno.ENOENT: "no such folder",
           errno.EISDIR: "it is a folder",
           errno.EEXIST: "exists"}.get(e.errno, e.strerror or str(e))
    return OutputError(f"cannot {doing} {path}: {why}")


def read_record(out_dir) -> Optional[dict]:
    """Our record of `out_dir`: {"files": {relpath: sha256}, ...}; {"files": None} for a
    folder tflm-py made before records existed; None for a folder that is not ours."""
    d = Path(out_dir)
    try:
        rec = json.loads((d / RECORD).read_text())
        if isinstance(rec, dict) and rec.get("generator") == "tflm_py" and \
                isinstance(rec.get("files"), dict):
            return rec
    except (OSError, ValueError):
        pass
    try:        # a project from before the record
        proj = json.loads((d / "tflm_py_project.json").read_text())
        if isinstance(proj, dict) and proj.get("generator") == "tflm_py":
            return {"generator": "tflm_py", "files": None}
    except (OSError, ValueError):
        pass
    try:        # a bundle from before the record: its manifest.json has our keys
        man = json.loads((d / "manifest.json").read_text())
        if isinstance(man, dict) and {"generator_version", "model_hash", "prefix",
                                      "arena_bytes"} <= set(man):
            return {"generator": "tflm_py", "files": None}
    except (OSError, ValueError):
        pass
    return None


def check_path(out: Path) -> None:
    """Refuse an output path under a file (`-o AFILE/sub`), under or at a symbolic link loop
    or a broken link, or that is itself a file."""
    _check_under(out, Path(os.path.abspath(out)))


def _check_under(out, p: Path, itself: Optional[Path] = None) -> None:
    """check_path for `out` from the folder p up (itself: the path `out` names, default p)."""
    itself = p if itself is None else itself
    loop = None
    for anc in [p, *p.parents]:
        try:
            st = os.stat(anc)
        except OSError as e:
            if e.errno == errno.ELOOP:
                loop = anc      # the loop is this one or an ancestor: the topmost says it
                continue
            if loop is not None:
                break
            if os.path.islink(anc):
                raise OutputError(f"cannot write {out}: {anc} is a broken symbolic link (to "
                                  f"{os.readlink(anc)!r})") from None
            continue
        if loop is not None:
            break
        if not stat.S_ISDIR(st.st_mode):
            if anc == itself:
                raise OutputError(f"cannot write {out}: it is a file, not a folder")
            raise OutputError(f"cannot write {out}: {anc} is a file, not a folder")
        return
    if loop is not None:
        raise OutputError(f"cannot write {out}: {loop} is a symbolic link loop")


def check_file_path(path) -> None:
    """Refuse a path for one output file whose folder cannot hold it (missing, a file, a
    link loop) or that is a folder or a link loop itself."""
    p = Path(os.path.abspath(path))
    _check_under(path, p.parent, p)     # a file or a link loop above it
    try:
        if stat.S_ISDIR(os.stat(p).st_mode):
            raise OutputError(f"cannot write {path}: it is a folder")
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise OutputError(f"cannot write {path}: {p} is a symbolic link loop") from None
    if not p.parent.is_dir():
        raise OutputError(f"cannot write {path}: no folder {p.parent}")


def write_file(path, data: bytes) -> None:
    """Write `data` to exactly `path` (no suffix added), refusing bad paths in one line."""
    check_file_path(path)
    try:
        with open(path, "wb") as f:
            f.write(data)
    except OSError as e:
        raise _os_error(path, e) from None


def make_folder(path) -> Path:
    """`path` as a folder (made with its parents if missing), refusing bad paths in one
    line."""
    check_path(Path(path))
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        raise _os_error(path, e) from None
    return Path(path)


def _is_empty(d: Path) -> bool:
    try:
        return not any(d.iterdir())
    except OSError as e:
        raise _os_error(d, e, "read") from None


def _record_json(kind: str, files: Mapping[str, str], extra: Optional[dict]) -> bytes:
    from . import __version__
    rec = {"generator": "tflm_py", "version": __version__, "kind": kind,
           "note": "files written by tflm-py with their sha256; regeneration replaces only "
                   "these (and refuses edited ones without --force); any other file here is "
                   "left alone",
           "files": dict(sorted(files.items()))}
    if extra:
        rec.update(extra)
    return (json.dumps(rec, indent=2) + "\n").encode()


def _stage(tmp: Path, files: Mapping[str, bytes]) -> None:
    for rel, data in files.items():
        dst = tmp / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes(data)


def _chmod_tree(d: Path) -> None:
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(d, 0o777 & ~mask)
    for root, dirs, _ in os.walk(d):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o777 & ~mask)


def _safe_rel(rel: str) -> str:
    p = Path(rel)
    if p.is_absolute() or ".." in p.parts or not p.parts or rel == RECORD:
        raise ValueError(f"bad generated file name {rel!r}")
    return p.as_posix()


def write_tree(out_dir, files: Mapping[str, Union[bytes, str]], kind: str,
               force: bool = False, extra: Optional[dict] = None) -> Path:
    """Write `files` ({relative path: content}) into out_dir as described in the module doc;
    return the folder. Raises OutputError (nothing written) when the folder is not ours, a
    generated file was edited (unless force), or the path cannot be written."""
    out = Path(out_dir)
    data = {_safe_rel(k): (v.encode() if isinstance(v, str) else bytes(v))
            for k, v in files.items()}
    sums = {k: sha256_bytes(v) for k, v in data.items()}
    record = _record_json(kind, sums, extra)
    check_path(out)

    if not out.exists():
        parent = Path(os.path.abspath(out)).parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=".tflm_py_new_", dir=parent))
        except OSError as e:
            raise _os_error(out, e) from None
        try:
            _stage(tmp, data)
            (tmp / RECORD).write_bytes(record)
            _chmod_tree(tmp)
            os.replace(tmp, out)
        except OSError as e:
            shutil.rmtree(tmp, ignore_errors=True)
            raise _os_error(out, e) from None
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return out

    empty = _is_empty(out)
    old = None if empty else read_record(out)
    if not empty and old is None:
        raise OutputError(
            f"{out} is not empty and was not made by tflm-py (no {RECORD}); refusing to write "
            "into it: choose a new or empty folder")
    old_files = (old or {}).get("files")
    legacy = old is not None and old_files is None
    old_files = old_files or {}

    # what would be lost: recorded files edited since, user files where ours would go
    problems = []
    for rel, want in sorted(old_files.items()):
        have = sha256_file(out / rel)
        if have is not None and have != want and \
                (rel not in data or sums.get(rel) != have):
            problems.append(f"{rel} (edited since tflm-py wrote it)")
    if not legacy:
        for rel in sorted(data):
            p = out / rel
            if rel not in old_files and (p.exists() or p.is_symlink()) and \
                    sha256_file(p) != sums[rel]:
                problems.append(f"{rel} (not written by tflm-py)")
    for rel in sorted(data):
        p = out / rel
        if p.is_dir() and not p.is_symlink():
            raise OutputError(f"cannot write {out}: {rel} is a folder where tflm-py writes a "
                              "file")
    if problems and not force:
        raise OutputError(
            f"{out}: tflm-py would overwrite or remove " + ", ".join(problems)
            + "; move your changes elsewhere, or pass --force to overwrite them")

    try:
        tmp = Path(tempfile.mkdtemp(prefix=".tflm_py_new_", dir=out))
    except OSError as e:
        raise _os_error(out, e) from None
    try:
        _stage(tmp, data)
        for rel in data:
            dst = out / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp / rel, dst)
        for rel in old_files:
            if rel in data:
                continue
            p = out / rel
            if p.is_file() or p.is_symlink():
                p.unlink()
                _prune_empty(p.parent, out)
        (tmp / RECORD).write_bytes(record)
        os.replace(tmp / RECORD, out / RECORD)
    except OSError as e:
        raise _os_error(out, e) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def _prune_empty(d: Path, top: Path) -> None:
    """Remove folders left empty by removing our files, up to (not including) top."""
    top = top.resolve()
    d = d.resolve()
    while d != top and top in d.parents:
        try:
            d.rmdir()
        except OSError:
            return
        d = d.parent


def update_file(out_dir, rel: str, content: Union[bytes, str]) -> None:
    """Rewrite one recorded file (e.g. manifest.json after `generate --report`) and its sum."""
    out = Path(out_dir)
    data = content.encode() if isinstance(content, str) else bytes(content)
    rec = read_record(out)
    tmp = out / (rel + ".tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, out / rel)
        if rec is not None and rec.get("files") is not None:
            rec["files"][rel] = sha256_bytes(data)
            (out / (RECORD + ".tmp")).write_text(json.dumps(rec, indent=2) + "\n")
            os.replace(out / (RECORD + ".tmp"), out / RECORD)
    except OSError as e:
        raise _os_error(out / rel, e) from None


def tree_files(d) -> dict[str, bytes]:
    """Every file under d as {relative posix path: bytes} (for staging a generated tree)."""
    d = Path(d)
    out = {}
    for root, _, names in os.walk(d):
        for name in names:
            p = Path(root) / name
            out[p.relative_to(d).as_posix()] = p.read_bytes()
    return out
