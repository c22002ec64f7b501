from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = ROOT / "tests" / "data" / "models"   # copies of ../shared/models (Apache-2.0)
MODEL_NAMES = ["hello_world_int8", "micro_speech_quantized", "kws_ref_model", "ad01_int8",
               "trained_lstm_int8"]
MODELS = {n: MODELS_DIR / f"{n}.tflite" for n in MODEL_NAMES}


@pytest.fixture(params=MODEL_NAMES)
def model_path(request):
    return MODELS[request.param]
