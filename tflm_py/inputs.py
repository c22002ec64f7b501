"""Model inputs from files, memory or a seeded generator: the one loader behind `simulate`,
`validate`, `bench` and `run`.

Rules (each refusal is a ModelError naming the file and the input):
- integer data for an integer (quantized) input must fit the input's type;
- float data is taken only where the model's input is float (or where every value is a
  whole number that fits the input's type: taken exactly), or with `quantize=True`
  (`--quantize`), which maps real values to the input's type with its scale and zero point
  (round half away from zero, then clamp, as TFLite's QUANTIZE does);
- NaN/inf, bool, complex, strings, structured records, objects (pickles), empty arrays and
  0-d arrays are refused;
- a `.npy`'s header is read and checked against the file's size and MAX_FILE_ELEMENTS before
  any data is read: a header claiming 2^40 elements is an error, not a 1 TiB allocation;
  `.npy` data is memory-mapped, so a large file is read sample by sample;
- samples are a stream (`Samples`: len() and iteration), built one at a time, so
  `--samples 100000000` costs no memory up front.

Default samples (`default_samples`) mix extremes with random data: sample 0 is random,
1 every input at its type's minimum, 2 at its maximum, 3 at its zero point, the rest random.
"""
from __future__ import annotations

import errno
import os
import stat
import zipfile
from dataclasses import dataclass
from typing import Callable, Iterator, Optional, Sequence

import numpy as np

from .errors import ModelError

# the most elements one input file may declare (all samples together): 2^28 (a 1 GiB int32
# file); the model's own tensors are bounded by tflm_py.limits
MAX_FILE_ELEMENTS = 1 << 28
# the most samples one run may ask for
MAX_SAMPLES = 1 << 40
# the most dimensions an input array may have (numpy 1.x's own limit; numpy 2 allows 64)
MAX_NDIM = 32
# the longest .npy header read (numpy's own default limit; its writer never comes close)
MAX_HEADER_BYTES = 10_000


class InputError(ModelError):
    """Input data that cannot be used for the model (type, values, shape, file)."""


@dataclass(frozen=True)
class InputSpec:
    """What one model input takes: dtype, shape and (for quantized inputs) scale, zero point."""
    name: str
    dtype: np.dtype
    shape: tuple
    scale: float = 0.0
    zero_point: int = 0

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    @property
    def is_int(self) -> bool:
        return np.issubdtype(self.dtype, np.integer)


def spec_of(obj, k: int = 0) -> InputSpec:
    """An InputSpec from a model tensor (tflm_py.ir.Tensor), a firmware IOInfo, a manifest
    dict or an InputSpec."""
    if isinstance(obj, InputSpec):
        return obj
    if isinstance(obj, dict):
        return InputSpec(str(obj.get("name") or f"input {k}"), np.dtype(obj["dtype"]),
                         tuple(int(v) for v in obj["shape"]), float(obj.get("scale") or 0.0),
                         int(obj.get("zero_point") or 0))
    q = getattr(obj, "quantization", None)
    if q is not None:
        scale, zp = float(q.scale), int(q.zero_point)
    else:
        scale = float(getattr(obj, "scale", 0.0) or 0.0)
        zp = int(getattr(obj, "zero_point", 0) or 0)
    return InputSpec(str(getattr(obj, "name", "") or f"input {k}"), np.dtype(obj.dtype),
                     tuple(int(v) for v in obj.shape), scale, zp)


def specs_of(objs: Sequence) -> list[InputSpec]:
    return [spec_of(o, k) for k, o in enumerate(objs)]


def model_specs(model) -> list[InputSpec]:
    return specs_of([model.tensors[i] for i in model.inputs])


# ------------------------------------------------------------------------ value checks

def _kind_problem(dtype: np.dtype) -> Optional[str]:
    if dtype.fields is not None or dtype.kind == "V":
        return "structured records"
    if dtype.hasobject or dtype.kind == "O":
        return "Python objects"
    if dtype.kind in "SUa":
        return "strings"
    if dtype.kind == "c":
        return "complex numbers"
    if dtype.kind == "b":
        return "booleans"
    if dtype.kind not in "iuf":
        return f"{dtype} values"
    return None


def check_dtype(dtype: np.dtype, where: str) -> None:
    problem = _kind_problem(np.dtype(dtype))
    if problem:
        raise InputError(f"{where} holds {problem}; inputs must be integers (quantized) or, "
                         "for a float input, real numbers")


def convert(a: np.ndarray, spec: InputSpec, quantize: bool = False,
            where: str = "the input") -> np.ndarray:
    """`a` as spec.dtype (values checked, shape unchanged)."""
    a = np.asarray(a)
    check_dtype(a.dtype, where)
    if a.dtype.kind == "f" and a.size and not np.isfinite(a).all():
        raise InputError(f"{where} holds NaN or infinite values")
    dt = spec.dtype
    if spec.is_int:
        info = np.iinfo(dt)
        if a.dtype.kind == "f" and not quantize and a.size and (np.trunc(a) == a).all():
            pass    # whole numbers held as floats: checked for range below, taken exactly
        elif a.dtype.kind == "f":
            if not quantize:
                raise InputError(
                    f"{where} holds float values but {spec.name} is {dt} (quantized, scale "
                    f"{spec.scale:g}, zero point {spec.zero_point}); give quantized integers, "
                    "or --quantize to quantize them with that scale and zero point")
            if not spec.scale > 0:
                raise InputError(f"{spec.name} has no quantization scale; --quantize cannot "
                                 "map real values to it")
            q = a.astype(np.float64) / spec.scale
            q = np.trunc(q + np.copysign(0.5, q)) + spec.zero_point    # half away from zero
            return np.clip(q, info.min, info.max).astype(dt)
        if a.dtype != dt and a.size:
            lo, hi = a.min(), a.max()
            if lo < info.min or hi > info.max:
                raise InputError(f"{where} has values outside {dt} ({lo}..{hi}), the type of "
                                 f"{spec.name}; give quantized inputs")
        return a.astype(dt)
    if spec.dtype.kind == "f":
        if a.dtype.kind not in "iuf":
            check_dtype(a.dtype, where)
        return a.astype(dt)
    raise InputError(f"{spec.name} is {dt}: tflm_py feeds only integer and float inputs")


# ------------------------------------------------------------------------------ files

@dataclass
class _Array:
    """An array read from a file: the data (possibly memory-mapped) and where it came from."""
    data: np.ndarray
    where: str


def _npy_header(f, where: str, size: int):
    """(shape, fortran, dtype) from the header of the .npy stream `f` of `size` bytes. The
    header's own length is checked against MAX_HEADER_BYTES and the stream's size before
    numpy reads it: an absurd length is an error, not a huge read."""
    fmt = np.lib.format
    start = f.tell()
    lead = f.read(12)
    if len(lead) < 10:
        raise InputError(f"{where}: not a .npy array (cut short in its header)")
    version = (lead[6], lead[7])
    if version == (1, 0):
        hlen, hstart = int.from_bytes(lead[8:10], "little"), 10
    elif version in ((2, 0), (3, 0)) and len(lead) == 12:
        hlen, hstart = int.from_bytes(lead[8:12], "little"), 12
    else:
        raise InputError(f"{where}: not a .npy array (unknown .npy version {version})")
    if hlen > MAX_HEADER_BYTES:
        raise InputError(f"{where}: not a .npy array (its header claims {hlen:,} bytes, more "
                         f"than the {MAX_HEADER_BYTES:,} numpy.save ever writes)")
    if hstart + hlen > size:
        raise InputError(f"{where}: not a .npy array (its header claims {hlen:,} bytes, the "
                         f"file holds {max(size - hstart, 0):,}: truncated)")
    f.seek(start)
    try:
        version = fmt.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(f)
        else:
            shape, fortran, dtype = fmt.read_array_header_2_0(f)
    except Exception as e:      # untrusted text: whatever numpy's parser raises (tokenize
        # errors for a header whose length field is wrong, ...) means "not an array"
        why = " ".join(str(e).split())
        why = why if len(why) <= 160 else why[:157] + "..."
        raise InputError(f"{where}: not a .npy array ({why})") from None
    return tuple(int(v) for v in shape), bool(fortran), np.dtype(dtype)


def _check_header(shape, dtype, where: str, data_bytes: Optional[int]) -> int:
    check_dtype(dtype, where)
    if len(shape) > MAX_NDIM:
        raise InputError(f"{where} has {len(shape)} dimensions; an input array may have at "
                         f"most {MAX_NDIM}")
    if not shape:
        raise InputError(f"{where} is a 0-d array (a single number without a shape); give "
                         "an array of shape (samples, *input shape) or the input's shape")
    count = 1
    for d in shape:
        if d < 0:
            raise InputError(f"{where}: bad shape {list(shape)}")
        count *= d
    if count == 0:
        raise InputError(f"{where} is empty (shape {list(shape)})")
    if count > MAX_FILE_ELEMENTS:
        raise InputError(f"{where}: header declares {count:,} elements (shape {list(shape)}), "
                         f"more than the {MAX_FILE_ELEMENTS:,} an input file may hold")
    if data_bytes is not None and count * dtype.itemsize > data_bytes:
        raise InputError(f"{where}: header declares {count:,} elements of {dtype} "
                         f"({count * dtype.itemsize:,} bytes) but the file holds "
                         f"{data_bytes:,} bytes of data (truncated or corrupted)")
    return count


def _read_npy(path: str) -> _Array:
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        shape, fortran, dtype = _npy_header(f, path, size)
        offset = f.tell()
    _check_header(shape, dtype, path, size - offset)
    data = np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape,
                     order="F" if fortran else "C")
    return _Array(data, path)


def _read_npz(path: str) -> list[_Array]:
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise InputError(f"{path}: not a .npz archive ({e})") from None
    out = []
    with z:
        names = z.namelist()
        if not names:
            raise InputError(f"{path} holds no arrays")
        for name in names:
            where = f"{path}[{name[:-4] if name.endswith('.npy') else name}]"
            if not name.endswith(".npy"):
                raise InputError(f"{where}: not a .npy member")
            info = z.getinfo(name)
            with z.open(name) as f:
                shape, fortran, dtype = _npy_header(f, where, info.file_size)
                header_len = f.tell()
                _check_header(shape, dtype, where, info.file_size - header_len)
                count = int(np.prod(shape, dtype=np.int64))
                raw = f.read(count * dtype.itemsize)
            a = np.frombuffer(raw, dtype=dtype)
            a = a.reshape(shape[::-1]).T if fortran else a.reshape(shape)
            out.append(_Array(a, where))
    return out


def check_file(path) -> str:
    """`path` as a string if it names a regular file; else InputError saying what it is (a
    folder, a symbolic link loop, a fifo or a device would hang or mislead a reader)."""
    path = os.fspath(path)
    try:
        st = os.stat(path)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise InputError(f"{path}: a symbolic link loop, not a file") from None
        if e.errno == errno.ENOENT:
            if os.path.islink(path):
                raise InputError(f"{path}: a broken symbolic link (to "
                                 f"{os.readlink(path)!r})") from None
            raise InputError(f"{path}: no such file") from None
        if e.errno == errno.ENOTDIR:
            raise InputError(f"{path}: no such file (a part of the path is a file, not a "
                             "folder)") from None
        raise InputError(f"{path}: cannot read ({e.strerror or e})") from None
    mode = st.st_mode
    if stat.S_ISREG(mode):
        return path
    what = ("a directory" if stat.S_ISDIR(mode) else "a fifo (named pipe)"
            if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "a special file")
    raise InputError(f"{path}: is {what}, not a .npy/.npz file")


def read_arrays(path) -> list[_Array]:
    """The arrays of a .npy (one) or .npz (one per member, in order), checked (see module doc)."""
    path = check_file(path)
    try:
        with open(path, "rb") as f:
            magic = f.read(6)
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror})") from None
    if magic.startswith(b"PK"):
        return _read_npz(path)
    if magic == b"\x93NUMPY":
        return [_read_npy(path)]
    if not magic:
        raise InputError(f"{path} is empty, not a .npy array")
    raise InputError(f"{path}: not a .npy or .npz file (save arrays with numpy.save / "
                     "numpy.savez)")


def _core(shape) -> tuple:
    """A shape without its leading 1s: (1, 49, 10, 1) and (49, 10, 1) hold the same sample."""
    shape = tuple(int(d) for d in shape)
    k = 0
    while k < len(shape) and shape[k] == 1:
        k += 1
    return shape[k:]


def same_shape(shape, spec_shape) -> bool:
    """True if an array of `shape` is one sample of an input of `spec_shape`: the same shape,
    leading 1s (a batch of one) aside. Nothing else is reshaped: a (490,) array for a
    [1, 49, 10, 1] input, or a transposed one, is refused rather than guessed at."""
    return _core(shape) == _core(spec_shape)


def sample_count_of(shape, spec: InputSpec, where: str, k: int = 0) -> int:
    """How many samples an array of `shape` holds for `spec`: 1 for the input's own shape,
    N for (N, *input shape); else InputError naming both shapes."""
    shape = tuple(int(d) for d in shape)
    if same_shape(shape, spec.shape):
        return 1
    if shape and same_shape(shape[1:], spec.shape):
        return shape[0]
    size = int(np.prod(shape, dtype=np.int64))
    if size % spec.size:
        raise InputError(f"{where} has shape {list(shape)} ({size} values), not a multiple "
                         f"of input {k}'s {spec.size} values (shape {list(spec.shape)})")
    raise InputError(f"{where} has shape {list(shape)}, input {k} ({spec.name}) has shape "
                     f"{list(spec.shape)}: give that shape, or (N, *shape) for N samples "
                     "(inputs are never reshaped)")


def load_single(path, spec: InputSpec, quantize: bool = False) -> np.ndarray:
    """One sample for one input (simulate -i, bench -i): the input's shape (leading 1s
    aside), never reshaped from another."""
    arrays = read_arrays(path)
    if len(arrays) != 1:
        raise InputError(f"{path} holds {len(arrays)} arrays; give one .npy per input")
    a = arrays[0]
    if not same_shape(a.data.shape, spec.shape):
        raise InputError(f"{a.where} has shape {list(a.data.shape)}, {spec.name} has shape "
                         f"{list(spec.shape)}: give an array of that shape (inputs are never "
                         "reshaped)")
    return convert(np.array(a.data).reshape(spec.shape), spec, quantize, a.where)


def load_singles(paths: Sequence, specs: Sequence[InputSpec], quantize: bool = False,
                 option: str = "--input") -> list[np.ndarray]:
    if len(paths) != len(specs):
        raise InputError(f"model has {len(specs)} input(s), got {len(paths)} {option}")
    return [load_single(p, s, quantize) for p, s in zip(paths, specs)]


# ---------------------------------------------------------------------------- samples

class Samples:
    """A stream of samples (each a list of arrays, one per input): len() and iteration, each
    sample made when it is reached."""

    def __init__(self, count: int, make: Callable[[int], list], specs: Sequence[InputSpec]):
        self.count = int(count)
        self._make = make
        self.specs = list(specs)

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[list]:
        for n in range(self.count):
            yield self._make(n)

    def __getitem__(self, n: int) -> list:
        if isinstance(n, slice):
            return [self._make(i) for i in range(*n.indices(self.count))]
        if n < 0:
            n += self.count
        if not 0 <= n < self.count:
            raise IndexError(n)
        return self._make(n)


def check_count(n, option: str = "--samples") -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise InputError(f"{option} must be a whole number, got {n!r}")
    if n < 1:
        raise InputError(f"{option} must be at least 1, got {n}")
    if n > MAX_SAMPLES:
        raise InputError(f"{option} must be at most {MAX_SAMPLES}, got {n}")
    return int(n)


def _random_value(spec: InputSpec, rng: np.random.Generator) -> np.ndarray:
    dt = spec.dtype
    if spec.is_int:
        info = np.iinfo(dt)
        lo, hi = max(info.min, -(1 << 15)), min(info.max, (1 << 15) - 1)
        return rng.integers(lo, hi, size=spec.shape, endpoint=True).astype(dt)
    return rng.standard_normal(size=spec.shape).astype(dt)


def _extreme(spec: InputSpec, which: str) -> np.ndarray:
    dt = spec.dtype
    if spec.is_int:
        info = np.iinfo(dt)
        v = {"min": info.min, "max": info.max,
             "zero": int(np.clip(spec.zero_point, info.min, info.max))}[which]
    else:   # a float input: large negative, large positive, zero
        v = {"min": -1e3, "max": 1e3, "zero": 0.0}[which]
    return np.full(spec.shape, v, dtype=dt)


EXTREMES = {1: "min", 2: "max", 3: "zero"}


def default_samples(specs: Sequence, n: int, seed: int = 0) -> Samples:
    """n samples: 0 random, 1 all minimum, 2 all maximum, 3 all zero point, then random
    (each random sample from its own seeded stream, so sample k is the same whatever n)."""
    specs = specs_of(specs)
    n = check_count(n)

    def make(k: int) -> list:
        which = EXTREMES.get(k)
        if which:
            return [_extreme(s, which) for s in specs]
        rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, k])
        return [_random_value(s, rng) for s in specs]

    return Samples(n, make, specs)


def describe_sample(k: int) -> str:
    """What default sample k is ("random", "all minimum", ...)."""
    return {"min": "all minimum", "max": "all maximum",
            "zero": "all zero point"}.get(EXTREMES.get(k, ""), "random")


def file_samples(path, specs: Sequence, n: Optional[int] = None,
                 quantize: bool = False) -> Samples:
    """Samples from a .npy (one input: shape (N, *input shape), or the input's own shape for
    one sample) or a .npz (one array per input, in order, each (N, *shape)); at most n."""
    specs = specs_of(specs)
    arrays = read_arrays(path)
    if len(arrays) != len(specs):
        raise InputError(f"{os.fspath(path)} holds {len(arrays)} array(s), the model has "
                         f"{len(specs)} input(s)")
    rows = []
    for k, (a, s) in enumerate(zip(arrays, specs)):
        sample_count_of(a.data.shape, s, a.where, k)
        flat = a.data.reshape(-1, s.size) if a.data.flags.c_contiguous or \
            a.data.flags.f_contiguous else np.asarray(a.data).reshape(-1, s.size)
        rows.append(flat)
    count = min(len(r) for r in rows)
    if n is not None:
        count = min(count, check_count(n))
    # values are checked up front, in slices, so that a bad row stops the run before its start
    for k, (r, s, a) in enumerate(zip(rows, specs, arrays)):
        for i in range(0, count, 4096):
            convert(np.asarray(r[i:i + 4096]), s, quantize, a.where)

    def make(i: int) -> list:
        return [convert(np.array(r[i]), s, quantize, a.where).reshape(s.shape)
                for r, s, a in zip(rows, specs, arrays)]

    return Samples(count, make, specs)


def memory_samples(inputs, specs: Sequence, quantize: bool = False) -> list[list[np.ndarray]]:
    """Samples given in memory: an array (N, *shape) for a one-input model, or a list of
    samples, each a list of arrays (one per input)."""
    specs = specs_of(specs)
    if isinstance(inputs, np.ndarray):
        if len(specs) != 1:
            raise InputError(f"the model has {len(specs)} inputs: give a list of samples, "
                             "each a list of arrays")
        s = specs[0]
        check_dtype(inputs.dtype, "the inputs")
        if inputs.size == 0:
            raise InputError("the inputs are empty")
        sample_count_of(inputs.shape, s, "the inputs")
        inputs = [[a] for a in inputs.reshape(-1, *s.shape)]
    out = []
    for n, xs in enumerate(inputs):
        if len(xs) != len(specs):
            raise InputError(f"sample {n} has {len(xs)} arrays, the model has "
                             f"{len(specs)} input(s)")
        row = []
        for k, (x, s) in enumerate(zip(xs, specs)):
            a = np.asarray(x)
            if not same_shape(a.shape, s.shape):
                raise InputError(f"sample {n} input {k} has shape {list(a.shape)}, the "
                                 f"input's shape is {list(s.shape)}")
            row.append(convert(a, s, quantize, f"sample {n} input {k}").reshape(s.shape))
        out.append(row)
    return out
