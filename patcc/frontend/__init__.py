"""Frontends: ONNX import."""

from .onnx_import import import_model, load_model, make_context, parse_input_shape

__all__ = ["import_model", "load_model", "make_context", "parse_input_shape"]
