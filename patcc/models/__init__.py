"""Model families patcc is tested on, built in code with seeded random weights (no torch).

`FAMILIES` maps a family name to its small test builder (each runs through the interpreter
and ONNX Runtime in well under a couple of seconds); the full-size networks (`vgg16`,
`resnet50`) are for the demo and benchmarks.
"""

from __future__ import annotations

from collections.abc import Callable

import onnx

from .crnn import crnn
from .mobilenet import mobilenetv3_style
from .resnet import resnet50, resnet_style
from .unet import unet_style
from .vgg import vgg16, vgg_style
from .yolo import yolo_style

FAMILIES: dict[str, Callable[..., onnx.ModelProto]] = {
    "vgg": vgg_style,
    "resnet": resnet_style,
    "mobilenet": mobilenetv3_style,
    "yolo": yolo_style,
    "unet": unet_style,
    "crnn": crnn,
}


def builtin_model(size: int = 224, seed: int = 0) -> onnx.ModelProto:
    """The default model of `patcc demo`: VGG-16 (224x224 unless told otherwise)."""
    return vgg16(size=size, seed=seed)


__all__ = [
    "FAMILIES",
    "builtin_model",
    "crnn",
    "mobilenetv3_style",
    "resnet50",
    "resnet_style",
    "unet_style",
    "vgg16",
    "vgg_style",
    "yolo_style",
]
