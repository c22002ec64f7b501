"""The reader on malformed input: every failure is a one-line ModelError (library) and
`error: <one line>` with exit code 2 (CLI); never a traceback, a crash or a hang."""
import io
import os
import re
import struct
import subprocess
import sys
import time
import zipfile

import flatbuffers
import numpy as np
import pytest

from conftest import MODELS, MODEL_NAMES, ROOT
from tflm_py import ModelError, UnsupportedError, load_model
from tflm_py import reader
from tflm_py.cli import main as cli_main
from tflm_py.schema_layout import TABLES
from tflm_py.testing import ModelBuilder
from tflm_py.tflite_schema import Buffer as FbBuffer
from tflm_py.tflite_schema import Model as FbModel
from tflm_py.tflite_schema import SubGraph as FbSubGraph
from tflm_py.tflite_schema import Tensor as FbTensor
from tflm_py.tflite_schema.Buffer import BufferT
from tflm_py.tflite_schema.Model import ModelT

KWS = MODELS["kws_ref_model"].read_bytes()
SPEECH = MODELS["micro_speech_quantized"].read_bytes()
HELLO = MODELS["hello_world_int8"].read_bytes()


# ---------------------------------------------------------------------------- helpers

def u32(b, p):
    return struct.unpack_from("<I", b, p)[0]


def put_u32(b: bytearray, p: int, v: int):
    struct.pack_into("<I", b, p, v & 0xFFFFFFFF)


def field(b, table, fid):
    """Absolute position of field `fid` of the table at `table`, or None when absent."""
    vt = table - struct.unpack_from("<i", b, table)[0]
    vsize = struct.unpack_from("<H", b, vt)[0]
    slot = 4 + 2 * fid
    if slot + 2 > vsize:
        return None
    off = struct.unpack_from("<H", b, vt + slot)[0]
    return table + off if off else None


def deref(b, fpos):
    return fpos + u32(b, fpos)


def elem_table(b, vec, i):
    e = vec + 4 + 4 * i
    return e + u32(b, e)


def root(b):
    return u32(b, 0)


def subgraph0(b):
    return elem_table(b, deref(b, field(b, root(b), 2)), 0)


def tensor(b, i):
    return elem_table(b, deref(b, field(b, subgraph0(b), 0)), i)


def operator(b, i):
    return elem_table(b, deref(b, field(b, subgraph0(b), 3)), i)


def expect_error(data, pattern="", cls=ModelError):
    with pytest.raises(cls) as e:
        load_model(bytes(data) if isinstance(data, bytearray) else data)
    msg = str(e.value)
    assert msg and "\n" not in msg, msg
    assert re.search(pattern, msg), msg
    return msg


def small_model(**kw):
    """A one-op FULLY_CONNECTED model built with ModelBuilder; returns (builder, ids)."""
    b = ModelBuilder()
    x = b.activation((1, 4), scale=0.1, zero_point=1)
    w = b.constant(np.ones((3, 4), np.int8), scales=[0.02], zero_points=[0])
    bias = b.constant(np.zeros(3, np.int32), scales=[0.002])
    y = b.activation((1, 3), scale=0.2, zero_point=-2)
    b.op("FULLY_CONNECTED", [x, w, bias], [y], fused_activation_function="NONE")
    return b, (x, w, bias, y)


def build(b, ids):
    return b.build(inputs=[ids[0]], outputs=[ids[-1]])


def repack(data, edit):
    """Unpack a model with the object API, let `edit(ModelT)` change it, pack it again."""
    m = ModelT.InitFromPackedBuf(bytes(data), 0)
    edit(m)
    fbb = flatbuffers.Builder(1024)
    fbb.Finish(m.Pack(fbb), file_identifier=b"TFL3")
    return bytes(fbb.Output())


# ---------------------------------------------------------------------------- valid input

@pytest.mark.parametrize("name", MODEL_NAMES)
def test_real_models_load_fast(name):
    data = MODELS[name].read_bytes()
    model = load_model(data)
    assert model.operators and model.tensors
    t0 = time.perf_counter()
    for _ in range(5):
        load_model(data)
    assert (time.perf_counter() - t0) / 5 < 0.1  # a few ms normally; generous for loaded CI
    assert reader.min_runtime_version(model) in ("1.5.0", "1.14.0")
    assert reader.offline_memory_plan(model) is None
    assert model.labels is None


def test_path_and_bytes_agree():
    a, b = load_model(MODELS["kws_ref_model"]), load_model(KWS)
    assert a.name == "kws_ref_model" and b.name == "model"
    assert [o.type for o in a.operators] == [o.type for o in b.operators]


def test_options_present_with_defaults():
    m = load_model(SPEECH)
    assert m.operators[0].type == "RESHAPE"
    assert m.operators[0].options.new_shape == (-1, 49, 40, 1)
    dw = m.operators[1].options
    assert (dw.padding, dw.stride_w, dw.depth_multiplier, dw.fused_activation_function) == \
        ("SAME", 2, 8, "RELU")
    # an op whose options table is absent gets the schema defaults
    data = repack(SPEECH, lambda mt: setattr(mt.subgraphs[0].operators[1], "builtinOptionsType", 0))
    o = load_model(data).operators[1].options
    assert (o.padding, o.stride_w, o.dilation_w_factor, o.fused_activation_function) == \
        ("SAME", 0, 1, "NONE")


# ---------------------------------------------------------------------------- files

def test_missing_file(tmp_path):
    expect_error(tmp_path / "nope.tflite", "no such file")


def test_directory(tmp_path):
    with pytest.raises(ModelError, match="directory"):
        load_model(tmp_path)


def test_empty_file(tmp_path):
    p = tmp_path / "empty.tflite"
    p.write_bytes(b"")
    with pytest.raises(ModelError, match="empty file"):
        load_model(p)
    expect_error(b"", "empty file")


def test_too_short():
    expect_error(b"\x10\0\0\0TFL3", "too short")


@pytest.mark.parametrize("seed", range(5))
def test_random_bytes(seed):
    data = np.random.default_rng(seed).integers(0, 256, 5000, dtype=np.uint8).tobytes()
    expect_error(data, "not a TFLite model")
    # random bytes behind a right identifier: still a clean error
    expect_error(data[:4] + b"TFL3" + data[8:], "malformed model")


def test_wrong_identifier():
    expect_error(b"\x10\0\0\0TFL2" + KWS[8:], r"file identifier b'TFL2'")


def test_not_a_path_or_bytes():
    with pytest.raises(ModelError, match="cannot read"):
        load_model(12345)


@pytest.mark.parametrize("cut", [16, 100, 1000, 20000, len(KWS) - 1])
def test_truncated(cut):
    expect_error(KWS[:cut], "malformed model")


# ---------------------------------------------------------------------------- structure

def test_root_offset_outside():
    b = bytearray(KWS)
    put_u32(b, 0, len(b) + 100)
    expect_error(b, "outside|beyond")


def test_vector_length_outside():
    b = bytearray(KWS)
    put_u32(b, deref(b, field(b, root(b), 2)), 0x7FFFFFFF)  # subgraphs count
    expect_error(b, "claims 2147483647 elements, beyond the end")


def test_vector_offset_outside():
    b = bytearray(KWS)
    f = field(b, tensor(b, 3), 0)                            # tensor 3 shape
    put_u32(b, f, len(b) - f + 8)
    expect_error(b, "beyond the end")


def test_table_offset_outside():
    b = bytearray(KWS)
    vec = deref(b, field(b, subgraph0(b), 0))                # tensors vector, entry 5
    put_u32(b, vec + 4 + 4 * 5, 0xFFFFFFF0)
    expect_error(b, "outside")


def test_table_misaligned():
    b = bytearray(KWS)
    vec = deref(b, field(b, subgraph0(b), 0))
    put_u32(b, vec + 4, u32(b, vec + 4) + 1)
    expect_error(b, "misaligned")


def test_vtable_outside():
    b = bytearray(KWS)
    struct.pack_into("<i", b, subgraph0(b), -0x40000000)
    expect_error(b, "vtable")


def test_vtable_sizes_impossible():
    b = bytearray(KWS)
    t = tensor(b, 0)
    vt = t - struct.unpack_from("<i", b, t)[0]
    struct.pack_into("<H", b, vt, 0xFFFE)
    expect_error(b, "vtable")


def test_field_outside_its_table():
    b = bytearray(KWS)
    t = tensor(b, 0)
    vt = t - struct.unpack_from("<i", b, t)[0]
    tbl_size = struct.unpack_from("<H", b, vt + 2)[0]
    struct.pack_into("<H", b, vt + 4 + 2 * 2, tbl_size)      # field 2 (buffer) at the end
    expect_error(b, "lies outside the table")


def test_string_length_outside():
    b = bytearray(KWS)
    s = deref(b, field(b, tensor(b, 0), 3))                  # tensor 0 name
    put_u32(b, s, 0x10000000)
    expect_error(b, "string .* claims")


def test_string_not_terminated():
    b = bytearray(KWS)
    s = deref(b, field(b, tensor(b, 0), 3))
    b[s + 4 + u32(b, s)] = ord("x")
    expect_error(b, "not terminated")


def test_options_vector_outside():
    """ReshapeOptions.new_shape is checked like every other vector."""
    b = bytearray(SPEECH)
    op = operator(b, 0)
    opts = deref(b, field(b, op, 4))
    f = field(b, opts, 0)
    put_u32(b, deref(b, f), 0x01000000)                      # new_shape count
    expect_error(b, "ReshapeOptions .*beyond the end")
    b = bytearray(SPEECH)
    put_u32(b, f, len(b))                                    # new_shape offset
    expect_error(b, "beyond the end")


def test_options_table_outside():
    b = bytearray(SPEECH)
    f = field(b, operator(b, 1), 4)
    put_u32(b, f, len(b) - f + 64)
    expect_error(b, "DepthwiseConv2DOptions table .*outside")


def _dag(n_refs, shape_len):
    """A subgraph whose tensors vector points n_refs times at one tensor table."""
    fbb = flatbuffers.Builder(1024)
    FbTensor.StartShapeVector(fbb, shape_len)
    for _ in range(shape_len):
        fbb.PrependInt32(1)
    shape = fbb.EndVector()
    FbTensor.Start(fbb)
    FbTensor.AddShape(fbb, shape)
    FbTensor.AddType(fbb, 9)
    t = FbTensor.End(fbb)
    FbSubGraph.StartTensorsVector(fbb, n_refs)
    for _ in range(n_refs):
        fbb.PrependUOffsetTRelative(t)
    tv = fbb.EndVector()
    FbSubGraph.Start(fbb)
    FbSubGraph.AddTensors(fbb, tv)
    sg = FbSubGraph.End(fbb)
    FbModel.StartSubgraphsVector(fbb, 1)
    fbb.PrependUOffsetTRelative(sg)
    sv = fbb.EndVector()
    FbBuffer.Start(fbb)
    b0 = FbBuffer.End(fbb)
    FbModel.StartBuffersVector(fbb, 1)
    fbb.PrependUOffsetTRelative(b0)
    bv = fbb.EndVector()
    FbModel.Start(fbb)
    FbModel.AddVersion(fbb, 3)
    FbModel.AddSubgraphs(fbb, sv)
    FbModel.AddBuffers(fbb, bv)
    fbb.Finish(FbModel.End(fbb), file_identifier=b"TFL3")
    return bytes(fbb.Output())


def test_shared_tables_are_bounded():
    """Tables referenced many times are paid for at every reference: a small file cannot
    make the reader do more work than a few times its size."""
    assert len(load_model(_dag(100, 4)).tensors) == 100   # sharing itself is legal
    data = _dag(20000, 2000)
    t0 = time.perf_counter()
    expect_error(data, "larger than the file")
    assert time.perf_counter() - t0 < 0.5


# ---------------------------------------------------------------------------- meaning

def _edit_tensor(data, i, **fields):
    def edit(m):
        t = m.subgraphs[0].tensors[i]
        for k, v in fields.items():
            if k.startswith("q_"):
                setattr(t.quantization, k[2:], v)
            else:
                setattr(t, k, v)
    return repack(data, edit)


def test_no_subgraph():
    expect_error(repack(HELLO, lambda m: setattr(m, "subgraphs", [])), "no subgraph")


def test_negative_dimension():
    expect_error(_edit_tensor(HELLO, 0, shape=[1, -5]), "negative dimension")


def test_dynamic_dimension_unsupported():
    expect_error(_edit_tensor(HELLO, 0, shape=[-1, 1]), "dynamic shape", UnsupportedError)


def test_shape_product_overflows():
    expect_error(_edit_tensor(HELLO, 0, shape=[1 << 20, 1 << 20, 1 << 20, 16]), "too large")
    expect_error(_edit_tensor(HELLO, 0, shape=[2147483647] * 8), "too large")


def test_data_size_vs_shape():
    b, ids = small_model()
    b.tensors[ids[1]].shape = [3, 5]          # 12 bytes of data for 15 elements
    expect_error(build(b, ids), "has 12 bytes of data, its shape \\[3, 5\\] of int8 needs 15")


def test_buffer_index_outside():
    b, ids = small_model()
    b.tensors[ids[1]].buffer = 99
    expect_error(build(b, ids), "uses buffer 99")


def test_buffer_offset_outside():
    def edit(m):
        bt = BufferT()
        bt.offset, bt.size = 1 << 40, 16
        m.buffers.append(bt)
    expect_error(repack(HELLO, edit), "buffer .* outside")


def test_quantization_lengths_mismatch():
    b, ids = small_model()
    q = b.tensors[ids[1]].quantization
    q.scale, q.zeroPoint, q.quantizedDimension = [0.1, 0.2, 0.3], [0, 0], 0
    expect_error(build(b, ids), "3 quantization scales but 2 zero points")


def test_per_channel_scales_vs_shape():
    b, ids = small_model()
    q = b.tensors[ids[1]].quantization
    q.scale, q.zeroPoint, q.quantizedDimension = [0.1] * 4, [0] * 4, 0
    expect_error(build(b, ids), "4 quantization scales for dimension 0 of size 3")
    q.quantizedDimension = 7
    expect_error(build(b, ids), "quantized_dimension 7")


@pytest.mark.parametrize("scale", [float("nan"), float("inf"), -0.5])
def test_bad_scale(scale):
    b, ids = small_model()
    b.tensors[ids[0]].quantization.scale = [scale]
    expect_error(build(b, ids), "quantization scale")


def test_zero_point_outside_type():
    b, ids = small_model()
    b.tensors[ids[0]].quantization.zeroPoint = [300]
    expect_error(build(b, ids), "zero point 300 is outside the int8 range")


def test_opcode_index_outside():
    b, ids = small_model()
    b.operators[0].opcodeIndex = 5
    expect_error(build(b, ids), "uses opcode 5, the model has 1")


@pytest.mark.parametrize("where", ["input", "output", "absent_output", "graph"])
def test_tensor_index_outside(where):
    b, ids = small_model()
    if where == "input":
        b.operators[0].inputs = [0, 1, 42]
        expect_error(build(b, ids), "op 0 input refers to tensor 42")
    elif where == "output":
        b.operators[0].outputs = [-7]
        expect_error(build(b, ids), "op 0 output refers to tensor -7")
    elif where == "absent_output":
        b.operators[0].outputs = [-1]
        expect_error(build(b, ids), "op 0 output refers to tensor -1")
    else:
        expect_error(b.build(inputs=[9], outputs=[ids[-1]]), "graph input refers to tensor 9")


def test_optional_input_is_fine():
    b, ids = small_model()
    b.operators[0].inputs = [ids[0], ids[1], -1]
    assert load_model(build(b, ids)).operators[0].inputs == (ids[0], ids[1], -1)


def test_options_of_another_op():
    def edit(m):
        from tflm_py.tflite_schema.ReshapeOptions import ReshapeOptionsT
        from tflm_py.tflite_schema.BuiltinOptions import BuiltinOptions
        op = m.subgraphs[0].operators[0]
        op.builtinOptionsType = BuiltinOptions.ReshapeOptions
        op.builtinOptions = ReshapeOptionsT()
    expect_error(repack(HELLO, edit), "FULLY_CONNECTED carries ReshapeOptions")


def test_control_flow_unsupported():
    def edit(m):
        m.operatorCodes[0].builtinCode = 119       # WHILE
        m.operatorCodes[0].deprecatedBuiltinCode = 119
        m.subgraphs[0].operators[0].builtinOptionsType = 0
    expect_error(repack(HELLO, edit), "WHILE needs control flow", UnsupportedError)


def test_unknown_op_and_type_are_read():
    def edit(m):
        m.operatorCodes[0].builtinCode = 5000
        m.operatorCodes[0].deprecatedBuiltinCode = 127
        m.subgraphs[0].operators[0].builtinOptionsType = 0
        m.subgraphs[0].tensors[0].type = 99
    model = load_model(repack(HELLO, edit))
    assert model.operators[0].type == "UNKNOWN_5000"
    assert model.tensors[0].type_name == "UNKNOWN(99)"


# ---------------------------------------------------------------------------- metadata

def test_metadata_buffer_outside():
    b, ids = small_model()
    b.add_metadata("min_runtime_version", b"1.5.0\0")
    data = build(b, ids)
    data = repack(data, lambda m: setattr(m.metadata[0], "buffer", 77))
    expect_error(data, "metadata entry 0 .*uses buffer 77")


def test_min_runtime_version():
    b, ids = small_model()
    b.add_metadata("min_runtime_version", b"1.14.0\0\0\0\0\0\0\0\0\0\0")
    assert reader.min_runtime_version(load_model(build(b, ids))) == "1.14.0"


def _offline(vals):
    b, ids = small_model()
    b.add_metadata("OfflineMemoryAllocation", np.asarray(vals, "<i4").tobytes())
    return build(b, ids)


def test_offline_memory_allocation():
    m = load_model(_offline([1, 1, 4, 0, -1, -1, 16]))
    assert reader.offline_memory_plan(m) == (0, -1, -1, 16)
    expect_error(_offline([1, 1, 3, 0, -1, -1]), "3 offsets for 4 tensors")
    expect_error(_offline([1, 1, 9, 0, -1, -1, 16]), "announces 9 offsets and holds 4")
    expect_error(_offline([1, 1, 4, 0, -1, -9, 16]), "offset -9")
    b, ids = small_model()
    b.add_metadata("OfflineMemoryAllocation", b"\1\0\0\0\1\0")
    expect_error(build(b, ids), "not a list of int32")


def metadata_flatbuffer(label_file="labels.txt", file_type=2, where="output"):
    """A TFLite Metadata (metadata_schema.fbs) flatbuffer naming one associated file."""
    fbb = flatbuffers.Builder(256)
    name = fbb.CreateString(label_file)
    fbb.StartObject(5)                              # AssociatedFile
    fbb.PrependUOffsetTRelativeSlot(0, name, 0)
    fbb.PrependInt8Slot(2, file_type, 0)
    af = fbb.EndObject()
    fbb.StartVector(4, 1, 4)
    fbb.PrependUOffsetTRelative(af)
    files = fbb.EndVector()
    if where == "model":
        mname = fbb.CreateString("m")
        fbb.StartObject(8)                          # ModelMetadata
        fbb.PrependUOffsetTRelativeSlot(0, mname, 0)
        fbb.PrependUOffsetTRelativeSlot(6, files, 0)
        fbb.Finish(fbb.EndObject(), file_identifier=b"M001")
        return bytes(fbb.Output())
    fbb.StartObject(7)                              # TensorMetadata
    fbb.PrependUOffsetTRelativeSlot(6, files, 0)
    tm = fbb.EndObject()
    fbb.StartVector(4, 1, 4)
    fbb.PrependUOffsetTRelative(tm)
    tms = fbb.EndVector()
    fbb.StartObject(7)                              # SubGraphMetadata
    fbb.PrependUOffsetTRelativeSlot(3, tms, 0)
    sgm = fbb.EndObject()
    fbb.StartVector(4, 1, 4)
    fbb.PrependUOffsetTRelative(sgm)
    sgms = fbb.EndVector()
    fbb.StartObject(8)                              # ModelMetadata
    fbb.PrependUOffsetTRelativeSlot(3, sgms, 0)
    fbb.Finish(fbb.EndObject(), file_identifier=b"M001")
    return bytes(fbb.Output())


def with_zip(data, files):
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return data + z.getvalue()


def labelled_model(meta=None, files=None):
    b, ids = small_model()
    if meta is not False:
        b.add_metadata("TFLITE_METADATA", meta or metadata_flatbuffer("classes.txt"))
    data = build(b, ids)
    return with_zip(data, files if files is not None else
                    {"readme.txt": "a model", "classes.txt": "cat\ndog\n\nbird\n"})


def test_labels_from_tflite_metadata():
    m = load_model(labelled_model())
    assert m.labels == ["cat", "dog", "bird"]
    assert "TFLITE_METADATA" in m.metadata
    assert reader._metadata_label_files(m.metadata["TFLITE_METADATA"]) == ["classes.txt"]


def test_labels_named_at_model_level():
    meta = metadata_flatbuffer("classes.txt", where="model")
    assert load_model(labelled_model(meta)).labels == ["cat", "dog", "bird"]


def test_labels_metadata_picks_the_named_file():
    files = {"labels.txt": "wrong\n", "classes.txt": "right\n"}
    assert load_model(labelled_model(files=files)).labels == ["right"]


def test_labels_without_metadata_fall_back_to_label_txt():
    assert load_model(labelled_model(False, {"labels.txt": "a\nb\n"})).labels == ["a", "b"]
    assert load_model(labelled_model(False, {"notes.txt": "a\nb\n"})).labels is None


def test_labels_broken_metadata_or_zip_are_ignored():
    # metadata that is not a metadata flatbuffer: the fallback decides
    assert load_model(labelled_model(b"\0" * 40, {"labels.txt": "a\n"})).labels == ["a"]
    # a zip whose member data is corrupted: no labels, no error
    data = bytearray(labelled_model())
    k = data.index(b"PK\x03\x04")
    data[k + 40:k + 60] = b"\xff" * 20
    assert load_model(bytes(data)).labels in (None, ["cat", "dog", "bird"])


# ---------------------------------------------------------------------------- the schema layout

def test_schema_layout_is_generated_from_the_schema(tmp_path):
    schema = ROOT / "tests" / "data" / "schema" / "schema.fbs"   # copy of ../shared/schema
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import gen_schema_layout
    finally:
        sys.path.pop(0)
    text = gen_schema_layout.render(gen_schema_layout.parse(schema.read_text()))
    assert text == (ROOT / "tflm_py" / "schema_layout.py").read_text()


def test_schema_layout_agrees_with_the_bindings():
    """Field ids and vector element sizes of the layout match the generated bindings."""
    bind = ROOT / "tflm_py" / "tflite_schema"
    for table, layout in TABLES.items():
        src = (bind / f"{table}.py").read_text()
        slots = {int(s) for s in re.findall(r"self\._tab\.Offset\((\d+)\)", src)}
        ids = {(s - 4) // 2 for s in slots}
        assert ids <= set(layout), table
        for fid, kind in layout.items():
            adder = re.search(rf"builder\.Prepend(\w+)Slot\({fid}, ", src)
            if adder is None:
                continue  # deprecated field: no accessor generated
            if isinstance(kind, int):
                assert adder.group(1) != "UOffsetTRelative", (table, fid)
            else:
                assert adder.group(1) == "UOffsetTRelative", (table, fid)
        for fid, kind in layout.items():
            if isinstance(kind, tuple) and kind[0] == "vec":
                sizes = set(re.findall(r"StartVector\((\d+), numElems", src))
                assert str(kind[1]) in sizes, (table, fid, sizes)


def test_every_options_table_is_known():
    for name in reader._OPTIONS_NAMES.values():
        assert name in TABLES
    for op, table in reader._OPTIONS_OF_OP.items():
        assert table in TABLES and op in reader._OP_NAMES.values(), op


# ---------------------------------------------------------------------------- the CLI

def _bad_files(tmp_path):
    files = {}
    for name, data in {
        "empty": b"",
        "random": np.random.default_rng(0).integers(0, 256, 3000, dtype=np.uint8).tobytes(),
        "truncated": KWS[:1000],
        "identifier": b"\x10\0\0\0ABCD" + KWS[8:],
        "vector": (lambda b: (put_u32(b, deref(b, field(b, root(b), 2)), 0x7FFFFFFF), b)[1])(
            bytearray(KWS)),
        "options": (lambda b: (put_u32(b, field(b, operator(b, 0), 4), 0x7FFFFFF0), b)[1])(
            bytearray(SPEECH)),
        "dag": _dag(20000, 2000),
    }.items():
        p = tmp_path / f"{name}.tflite"
        p.write_bytes(bytes(data))
        files[name] = p
    files["missing"] = tmp_path / "missing.tflite"
    files["directory"] = tmp_path
    return files


BAD = ["empty", "random", "truncated", "identifier", "vector", "options", "dag", "missing",
       "directory"]


@pytest.mark.parametrize("case", BAD)
def test_cli_in_process(case, tmp_path, capsys):
    path = _bad_files(tmp_path)[case]
    for argv in (["inspect", str(path)], ["inspect", str(path), "--json"]):
        assert cli_main(argv) == 2
        out, err = capsys.readouterr()
        assert out == ""
        assert err.startswith("error: ") and err.count("\n") == 1, err
        with pytest.raises(ModelError):
            load_model(path)


@pytest.mark.parametrize("case", ["empty", "random", "truncated", "vector", "missing"])
def test_cli_subprocess(case, tmp_path):
    path = _bad_files(tmp_path)[case]
    r = subprocess.run([sys.executable, "-m", "tflm_py", "inspect", str(path)], cwd=ROOT,
                       capture_output=True, text=True, timeout=60,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 2, r.stderr
    assert r.stdout == ""
    assert r.stderr.startswith("error: ") and r.stderr.count("\n") == 1, r.stderr
    assert "Traceback" not in r.stderr
