"""(to be filled)"""

from __future__ import annotations

from ..context import Converter

CONVERTERS: dict[str, Converter] = {}
