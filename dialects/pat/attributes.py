"""`#pat.patterns`: the set of K kernel patterns a pruned 3x3 conv draws from.

A pattern keeps 4 of the 9 weights of a 3x3 kernel, the centre always among them. Positions
are numbered row-major, so a position p is the tap (dy, dx) = (p // 3 - 1, p % 3 - 1):

    0 1 2
    3 4 5      e.g. [1, 3, 4, 5] keeps the centre, its left and right and the one above.
    6 7 8

Syntax: `#pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>`, pattern index = order of appearance
(the `ids` of a `pat.conv2d` point into it). Positions inside a pattern are written in
ascending order: that is the order in which a conv's kept values are stored, so one pattern
has one spelling and two sets are equal exactly when they print the same.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.ir import Data
from xdsl.irdl import irdl_attr_definition
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

KERNEL_POSITIONS = 9
CENTRE = 4
PATTERN_SIZE = 4
MAX_PATTERNS = 56  # C(8, 3): every way to add 3 of the 8 border positions to the centre

Pattern = tuple[int, ...]
PatternSet = tuple[Pattern, ...]


def position_offset(position: int) -> tuple[int, int]:
    """(dy, dx) of a 3x3 kernel position relative to the centre."""
    return position // 3 - 1, position % 3 - 1


def pattern_set_error(patterns: Sequence[Sequence[int]]) -> str | None:
    """The first rule a pattern set breaks, as a message; None if it is well formed.

    Shared by the attribute's verifier and its parser (which reports it at the source
    location), so both give the same message.
    """
    k = len(patterns)
    if not 1 <= k <= MAX_PATTERNS:
        return f"a pattern set must have 1 to {MAX_PATTERNS} patterns, got {k}"
    seen: dict[Pattern, int] = {}
    for index, pattern in enumerate(patterns):
        where = f"pattern {index} {list(pattern)}"
        if len(pattern) != PATTERN_SIZE:
            return (
                f"{where}: a pattern must keep exactly {PATTERN_SIZE} positions, got {len(pattern)}"
            )
        bad = [p for p in pattern if not 0 <= p < KERNEL_POSITIONS]
        if bad:
            return f"{where}: positions must be in 0..{KERNEL_POSITIONS - 1}, got {bad[0]}"
        if len(set(pattern)) != len(pattern):
            return f"{where}: positions must be distinct"
        if CENTRE not in pattern:
            return f"{where}: a pattern must keep the centre position {CENTRE}"
        if list(pattern) != sorted(pattern):
            return f"{where}: positions must be in ascending order"
        key = tuple(pattern)
        if key in seen:
            return f"{where}: duplicate of pattern {seen[key]}"
        seen[key] = index
    return None


@irdl_attr_definition
class PatternsAttr(Data[PatternSet]):
    """An ordered set of K distinct 4-position 3x3 kernel patterns, each with the centre."""

    name = "pat.patterns"

    def __init__(self, patterns: Sequence[Sequence[int]]) -> None:
        super().__init__(tuple(tuple(int(p) for p in pattern) for pattern in patterns))

    @property
    def patterns(self) -> PatternSet:
        return self.data

    def __len__(self) -> int:
        return len(self.data)

    def verify(self) -> None:
        error = pattern_set_error(self.data)
        if error is not None:
            raise VerifyException(f"#pat.patterns: {error}")

    @classmethod
    def parse_parameter(cls, parser: AttrParser) -> PatternSet:
        start = parser.pos

        def pattern() -> Pattern:
            return tuple(
                parser.parse_comma_separated_list(
                    parser.Delimiter.SQUARE, parser.parse_integer, " in a pattern"
                )
            )

        patterns = tuple(
            parser.parse_comma_separated_list(parser.Delimiter.ANGLE, pattern, " in #pat.patterns")
        )
        error = pattern_set_error(patterns)
        if error is not None:
            parser.raise_error(f"#pat.patterns: {error}", start, parser.pos)
        return patterns

    def print_parameter(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            printer.print_list(
                self.data,
                lambda pattern: printer.print_string(f"[{', '.join(map(str, pattern))}]"),
            )
