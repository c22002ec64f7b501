"""The one error family of tflm_py. The CLI turns any of these into `error: <message>`."""


class ModelError(Exception):
    """A model file that cannot be read: missing, malformed, truncated, or not a TFLite model."""


class UnsupportedError(ModelError):
    """A well-formed model that uses something tflm_py does not support (op, type, option)."""


class UsageError(ModelError):
    """Bad command-line usage or option values (the CLI prints it as `error: ...`, exit 2)."""
