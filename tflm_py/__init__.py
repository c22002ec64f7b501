"""tflm_py: int8 TFLite models to bit-exact, interpreter-free microcontroller firmware."""
from .errors import ModelError, UnsupportedError
from .ir import Model, Operator, Quantization, Tensor
from .reader import load_model

__version__ = "0.1.0"

__all__ = ["ModelError", "UnsupportedError", "Model", "Operator", "Quantization", "Tensor",
           "load_model", "__version__"]
