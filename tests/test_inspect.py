"""`tflm-py inspect` on the real models agrees with TFLM's interpreter and with the flatbuffer
read independently (object API of the generated bindings)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import MODELS, MODEL_NAMES, ROOT
from tflm_py import load_model
from tflm_py.cli import main as cli_main
from tflm_py.inspect import fallback_macs, format_text, inspect_model
from tflm_py.ops import registry
from tflm_py.testing import ModelBuilder
from tflm_py.tflite_schema.BuiltinOperator import BuiltinOperator
from tflm_py.tflite_schema.Model import ModelT
from tflm_py.tflite_schema.TensorType import TensorType

OP_NAMES = {v: k for k, v in vars(BuiltinOperator).items() if not k.startswith("_")}
TYPE_NAMES = {v: k for k, v in vars(TensorType).items() if not k.startswith("_")}
KWS_MACS = 2_656_768   # DS-CNN KWS: 5 conv + 4 depthwise + 1 fully connected


def _cli_json(path, capsys):
    assert cli_main(["inspect", str(path), "--json"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return json.loads(out)


@pytest.fixture(scope="module")
def subprocess_json():
    """`python -m tflm_py inspect --json` of every model, run once per module."""
    out = {}
    for name in MODEL_NAMES:
        r = subprocess.run([sys.executable, "-m", "tflm_py", "inspect", "--json",
                            str(MODELS[name])], cwd=ROOT, capture_output=True, text=True,
                           timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert r.returncode == 0, r.stderr
        assert r.stderr == ""
        out[name] = json.loads(r.stdout)
    return out


def _tflm(data):
    from tflite_micro.python.tflite_micro import runtime
    ip = runtime.Interpreter.from_bytes(
        data, arena_size=4 * 1024 * 1024,
        intrepreter_config=runtime.InterpreterConfig.kPreserveAllTensors)
    return ip


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_json_agrees_with_flatbuffer_and_tflm(name, subprocess_json, capsys):
    data = MODELS[name].read_bytes()
    info = _cli_json(MODELS[name], capsys)
    assert info == subprocess_json[name]             # subprocess and in-process agree
    assert info == json.loads(json.dumps(inspect_model(load_model(MODELS[name]))))

    # the flatbuffer read on its own, with the object API
    m = ModelT.InitFromPackedBuf(data, 0)
    sg = m.subgraphs[0]
    codes = [max(oc.builtinCode, oc.deprecatedBuiltinCode) for oc in m.operatorCodes]
    assert len(info["ops"]) == len(sg.operators)
    assert [o["type"] for o in info["ops"]] == [OP_NAMES[codes[op.opcodeIndex]]
                                                 for op in sg.operators]
    for o, op in zip(info["ops"], sg.operators):
        assert o["inputs"] == [int(i) for i in op.inputs]
        assert o["outputs"] == [int(i) for i in op.outputs]
        assert o["input_shapes"] == [None if i < 0 else [int(d) for d in sg.tensors[i].shape]
                                     for i in op.inputs]
    assert len(info["tensors"]) == len(sg.tensors)
    for t, ft in zip(info["tensors"], sg.tensors):
        assert t["shape"] == [int(d) for d in ft.shape]
        assert t["type"] == TYPE_NAMES[ft.type]
        assert t["name"] == ft.name.decode()
        assert t["is_constant"] == bool(m.buffers[ft.buffer].data is not None
                                        and len(m.buffers[ft.buffer].data))
        assert t["bytes"] == int(np.prod(ft.shape, dtype=np.int64)) * np.dtype(t["dtype"]).itemsize
        if t["is_constant"]:
            assert t["bytes"] == len(m.buffers[ft.buffer].data)
    assert info["inputs"] == [int(i) for i in sg.inputs]
    assert info["outputs"] == [int(i) for i in sg.outputs]
    used = {ft.buffer for ft in sg.tensors}
    assert info["constant_bytes"] == sum(len(m.buffers[b].data) for b in used
                                         if m.buffers[b].data is not None)

    # TFLM's interpreter: inputs, outputs and every tensor's shape and type
    ip = _tflm(data)
    for k, idx in enumerate(info["inputs"]):
        d = ip.get_input_details(k)
        t = info["tensors"][idx]
        assert t["shape"] == d["shape"].tolist()
        assert t["dtype"] == np.dtype(d["dtype"]).name
        q = d["quantization_parameters"]
        assert np.allclose(t["quantization"]["scales"], q["scales"], rtol=0, atol=0)
        assert t["quantization"]["zero_points"] == q["zero_points"].tolist()
    for k, idx in enumerate(info["outputs"]):
        d = ip.get_output_details(k)
        t = info["tensors"][idx]
        assert t["shape"] == d["shape"].tolist()
        assert t["dtype"] == np.dtype(d["dtype"]).name
        q = d["quantization_parameters"]
        assert np.allclose(t["quantization"]["scales"], q["scales"], rtol=0, atol=0)
        assert t["quantization"]["zero_points"] == q["zero_points"].tolist()
    x = [np.zeros(info["tensors"][i]["shape"], info["tensors"][i]["dtype"])
         for i in info["inputs"]]
    for k, a in enumerate(x):
        ip.set_input(a, k)
    ip.invoke()
    for t in info["tensors"]:
        g = ip.GetTensor(t["index"], 0)
        assert g["shape"].tolist() == t["shape"], t["index"]
        assert np.dtype(g["dtype"]).name == t["dtype"], t["index"]

    # MACs: per op and in total
    assert info["macs"] == sum(o["macs"] for o in info["ops"])
    assert all(o["macs"] >= 0 for o in info["ops"])
    assert {"ops", "tensors", "inputs", "outputs", "macs", "constant_bytes", "supported",
            "activation_bytes", "metadata", "labels", "op_types"} <= set(info)
    assert info["metadata"]["min_runtime_version"]["value"] in ("1.5.0", "1.14.0")


def test_kws_macs(capsys):
    info = _cli_json(MODELS["kws_ref_model"], capsys)
    assert len(info["ops"]) == 13
    mult = sum(o["macs"] for o in info["ops"]
               if o["type"] in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"))
    assert mult == KWS_MACS
    assert [o["macs"] for o in info["ops"][:3]] == [320_000, 72_000, 512_000]
    assert sum(o["macs"] for o in info["ops"] if o["type"] == "AVERAGE_POOL_2D") == 0
    assert info["macs"] == KWS_MACS


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_fallback_macs_agree_with_rooms(name):
    model = load_model(MODELS[name])
    reg = registry()
    for op in model.operators:
        if op.type in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED") and op.type in reg:
            assert fallback_macs(op, model) == reg[op.type].macs(op, model), op.index


def test_fallback_macs_formulas():
    b = ModelBuilder()
    x = b.activation((1, 8, 8, 3), scale=0.1)
    w = b.constant(np.ones((4, 3, 3, 3), np.int8), scales=[0.1])
    y = b.activation((1, 6, 6, 4), scale=0.1)
    b.op("CONV_2D", [x, w], [y], padding="VALID", stride_w=1, stride_h=1)
    wd = b.constant(np.ones((1, 3, 3, 4), np.int8), scales=[0.1])
    z = b.activation((1, 4, 4, 4), scale=0.1)
    b.op("DEPTHWISE_CONV_2D", [y, wd], [z], padding="VALID", stride_w=1, stride_h=1,
         depth_multiplier=1)
    wf = b.constant(np.ones((5, 64), np.int8), scales=[0.1])
    f = b.activation((1, 5), scale=0.1)
    b.op("FULLY_CONNECTED", [z, wf], [f])
    m = load_model(b.build(inputs=[x], outputs=[f]))
    assert [fallback_macs(op, m) for op in m.operators] == [6 * 6 * 4 * 9 * 3, 4 * 4 * 4 * 9,
                                                             5 * 64]
    info = inspect_model(m)
    assert info["macs"] == 6 * 6 * 4 * 9 * 3 + 4 * 4 * 4 * 9 + 5 * 64


def test_unsupported_op_is_marked(capsys, tmp_path):
    b = ModelBuilder()
    x = b.activation((1, 4), scale=0.1)
    y = b.activation((1, 4), scale=0.1)
    b.op("FLOOR", [x], [y])
    p = tmp_path / "floor.tflite"
    p.write_bytes(b.build(inputs=[x], outputs=[y]))
    assert "FLOOR" not in registry()
    info = _cli_json(p, capsys)
    assert info["supported"] is False
    assert info["op_types"] == [{"type": "FLOOR", "count": 1, "supported": False}]
    assert info["ops"][0]["supported"] is False and info["ops"][0]["macs"] == 0
    assert cli_main(["inspect", str(p)]) == 0
    text = capsys.readouterr().out
    assert "FLOOR *" in text and "NOT SUPPORTED" in text and "supported: no" in text


def test_room_rejecting_an_op_is_reported():
    """A CONV_2D its room does not accept (float32) still gets the shape-based MAC count."""
    b = ModelBuilder()
    x = b.activation((1, 5, 5, 2), dtype=np.float32)
    w = b.constant(np.ones((3, 3, 3, 2), np.float32))
    y = b.activation((1, 3, 3, 3), dtype=np.float32)
    b.op("CONV_2D", [x, w], [y], padding="VALID", stride_w=1, stride_h=1)
    m = load_model(b.build(inputs=[x], outputs=[y]))
    info = inspect_model(m)
    op = info["ops"][0]
    assert op["macs"] == 3 * 3 * 3 * 9 * 2
    if "CONV_2D" in registry():
        assert op["supported"] is False and op["reason"]
        assert info["op_types"][0]["supported"] is True   # the type has a room
        assert "ops their room does not accept" in format_text(info)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_text_table(name, capsys):
    assert cli_main(["inspect", str(MODELS[name])]) == 0
    text = capsys.readouterr().out
    info = inspect_model(load_model(MODELS[name]))
    assert f"total MACs: {info['macs']:,}" in text
    assert f"constant bytes:   {info['constant_bytes']:,}" in text
    for op in info["ops"]:
        assert op["type"] in text
    assert f"ops ({len(info['ops'])}):" in text and f"tensors ({len(info['tensors'])}):" in text


def test_memory_figures():
    info = inspect_model(load_model(MODELS["kws_ref_model"]))
    acts = [t for t in info["tensors"] if not t["is_constant"] and not t["is_variable"]]
    assert info["activation_bytes"] == sum(t["bytes"] for t in acts) == 490 + 9 * 8000 + 64 * 2 + 24
    assert info["peak_live_bytes"] == 16_000     # two 1x25x5x64 activations at once
    lstm = inspect_model(load_model(MODELS["trained_lstm_int8"]))
    assert lstm["variable_bytes"] == 20 + 2 * 20  # int8 hidden + int16 cell state


def test_labels_and_metadata_in_json(tmp_path, capsys):
    from test_reader import labelled_model
    p = tmp_path / "labelled.tflite"
    p.write_bytes(labelled_model())
    info = _cli_json(p, capsys)
    assert info["labels"] == ["cat", "dog", "bird"]
    assert info["metadata"]["TFLITE_METADATA"]["value"] == {"label_files": ["classes.txt"]}
    assert cli_main(["inspect", str(p)]) == 0
    assert "labels:  cat, dog, bird" in capsys.readouterr().out
