"""The converter settings every model-building script here uses: TensorFlow's documented
full-integer post-training quantization, int8 (TFLITE_BUILTINS_INT8) or 16x8
(EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8). Imported by the make_*.py
scripts (run with a Python that has tensorflow-cpu; not a test dependency)."""
from __future__ import annotations


def configure(conv, representative, activations: str = "int8", io: str | None = None):
    """Set `conv` (a tf.lite.TFLiteConverter) for a full-integer model: activations "int8" or
    "int16" (16x8), inputs and outputs of type `io` ("int8", "int16", "uint8", "float32"; the
    activations' type by default)."""
    import tensorflow as tf
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    if activations == "int16":
        conv.target_spec.supported_ops = [
            tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    elif activations == "int8":
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    else:
        raise ValueError(f"activations {activations!r}: int8 or int16")
    io_type = getattr(tf, io or activations)
    conv.inference_input_type = io_type
    conv.inference_output_type = io_type
    return conv


def convert_keras(model, representative, activations: str = "int8",
                  io: str | None = None) -> bytes:
    """A Keras model as a full-integer .tflite (see configure)."""
    import tensorflow as tf
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    return configure(conv, representative, activations, io).convert()
