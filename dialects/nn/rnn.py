"""Recurrent layers: lstm (ONNX LSTM, one layer, time-major, default activations)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar, Self

from xdsl.dialects.builtin import FloatAttr, IntegerAttr, StringAttr, TensorType
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    AttrSizedOperandSegments,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    result_def,
)
from xdsl.irdl.operations import ParsePropInAttrDict
from xdsl.parser import Parser
from xdsl.printer import Printer

from .base import (
    NNOperation,
    Props,
    Shape,
    fmt_shape,
    get_choice,
    get_flag,
    get_float,
    get_positive,
    require,
)

LSTM_DIRECTIONS = ("forward", "reverse", "bidirectional")


@irdl_op_definition
class LstmOp(NNOperation):
    """One LSTM layer over a time-major sequence (ONNX LSTM, layout 0).

    Gates in ONNX order i, o, f, c with sigmoid / tanh / tanh. Operands (ONNX names): input X
    [seq, batch, size], weight W [dirs, 4H, size], recurrence R [dirs, 4H, H], optional
    bias B [dirs, 8H] (input then recurrence biases), initial_h and initial_c [dirs, batch,
    H] (zeros when absent), peepholes P [dirs, 3H] (i, o, f). Results: y [seq, dirs, batch,
    H], y_h and y_c [dirs, batch, H]. `clip` bounds every gate pre-activation (peephole
    term included, as ONNX Runtime does); `input_forget` couples f = 1 - i.

    Syntax: the optional operands are named, since any subset may be present:
        %y, %h, %c = nn.lstm %x, %w, %r, bias %b, initial_h %h0 {...} : (...) -> (...)
    """

    name = "nn.lstm"
    input = operand_def(TensorType)
    weight = operand_def(TensorType)
    recurrence = operand_def(TensorType)
    bias = opt_operand_def(TensorType)
    initial_h = opt_operand_def(TensorType)
    initial_c = opt_operand_def(TensorType)
    peepholes = opt_operand_def(TensorType)
    y = result_def(TensorType)
    y_h = result_def(TensorType)
    y_c = result_def(TensorType)
    hidden_size = prop_def(IntegerAttr)
    direction = prop_def(StringAttr)
    clip = opt_prop_def(FloatAttr)
    input_forget = opt_prop_def(IntegerAttr)

    assembly_format: ClassVar[str | None] = None
    irdl_options = (ParsePropInAttrDict(), AttrSizedOperandSegments(as_property=True))

    # keyword of each optional operand in the custom syntax, in definition order
    OPTIONAL_KEYWORDS: ClassVar[tuple[str, ...]] = ("bias", "initial_h", "initial_c", "peepholes")

    @classmethod
    def infer_shapes(cls, in_shapes: Sequence[Shape | None], props: Props) -> list[Shape]:
        x, w, r, b, h0, c0, p = in_shapes
        assert x is not None and w is not None and r is not None
        direction = get_choice(props, "direction", LSTM_DIRECTIONS)
        hidden = get_positive(props, "hidden_size")
        clip = get_float(props, "clip", math.inf)
        require(clip > 0, f"clip must be positive, got {clip}")
        get_flag(props, "input_forget", 0)
        d = 2 if direction == "bidirectional" else 1
        require(len(x) == 3, f"X must be 3-D [seq, batch, input], got {fmt_shape(x)}")
        seq, batch, size = x
        expected = {
            "W": (w, (d, 4 * hidden, size)),
            "R": (r, (d, 4 * hidden, hidden)),
            "B": (b, (d, 8 * hidden)),
            "initial_h": (h0, (d, batch, hidden)),
            "initial_c": (c0, (d, batch, hidden)),
            "P": (p, (d, 3 * hidden)),
        }
        for name, (actual, want) in expected.items():
            require(
                actual is None or tuple(actual) == want,
                f"{name} must have shape {fmt_shape(want)} for {d} direction(s), hidden size "
                f"{hidden} and X {fmt_shape(x)}, got {fmt_shape(actual or ())}",
            )
        return [(seq, d, batch, hidden), (d, batch, hidden), (d, batch, hidden)]

    # ---- custom syntax (the uniform `operands` directive cannot place optional operands) --

    @classmethod
    def parse(cls, parser: Parser) -> Self:
        pos = parser.pos
        required = [parser.parse_unresolved_operand()]
        for _ in range(2):
            parser.parse_punctuation(",")
            required.append(parser.parse_unresolved_operand())
        optional: dict[str, object] = {}
        while parser.parse_optional_punctuation(",") is not None:
            keyword = parser.parse_optional_keyword_in(cls.OPTIONAL_KEYWORDS)
            if keyword is None:
                parser.raise_error(f"expected one of {', '.join(cls.OPTIONAL_KEYWORDS)}")
            if keyword in optional or any(
                k in optional for k in cls.OPTIONAL_KEYWORDS[cls.OPTIONAL_KEYWORDS.index(keyword) :]
            ):
                parser.raise_error(
                    f"'{keyword}' repeated or out of order (order: "
                    f"{', '.join(cls.OPTIONAL_KEYWORDS)})"
                )
            optional[keyword] = parser.parse_unresolved_operand()
        attrs = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        fn_type = parser.parse_function_type()
        unresolved = [*required, *(optional[k] for k in cls.OPTIONAL_KEYWORDS if k in optional)]
        values = parser.resolve_operands(unresolved, fn_type.inputs.data, pos)
        operands: list[SSAValue | None] = list(values[:3])
        rest = iter(values[3:])
        operands += [next(rest) if k in optional else None for k in cls.OPTIONAL_KEYWORDS]
        prop_names = cls.get_irdl_definition().properties
        props = {k: v for k, v in attrs.items() if k in prop_names}
        others = {k: v for k, v in attrs.items() if k not in prop_names}
        return cls.build(
            operands=operands,
            result_types=list(fn_type.outputs.data),
            properties=props,
            attributes=others,
        )

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_list([self.input, self.weight, self.recurrence], printer.print_ssa_value)
        for keyword, value in zip(
            self.OPTIONAL_KEYWORDS,
            (self.bias, self.initial_h, self.initial_c, self.peepholes),
            strict=True,
        ):
            if value is not None:
                printer.print_string(f", {keyword} ")
                printer.print_ssa_value(value)
        shown: dict[str, Attribute] = {
            k: v for k, v in self.properties.items() if k != AttrSizedOperandSegments.attribute_name
        }
        printer.print_op_attributes({**self.attributes, **shown})
        printer.print_string(" : ")
        printer.print_function_type(self.operand_types, self.result_types)


OPS: list[type[NNOperation]] = [LstmOp]
