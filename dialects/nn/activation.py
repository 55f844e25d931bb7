"""(to be filled)"""

from __future__ import annotations

from .base import NNOperation

OPS: list[type[NNOperation]] = []
