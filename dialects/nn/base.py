"""Shared machinery of the `nn` dialect.

Every `nn` op states its result shapes as a pure function of its operand shapes and its
properties (`infer_shapes`). That one function serves three users, so they cannot disagree:
the verifier (actual result types must equal the inferred ones), the ONNX importer (which
builds ops through `inferred`), and the passes that rebuild ops.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Mapping, Sequence
from typing import ClassVar, Self

from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseArrayBase,
    Float32Type,
    FloatAttr,
    IntAttr,
    IntegerAttr,
    StringAttr,
    TensorType,
    f32,
    i64,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import IRDLOperation
from xdsl.irdl.operations import ParsePropInAttrDict
from xdsl.utils.exceptions import VerifyException

Shape = tuple[int, ...]
Props = Mapping[str, Attribute]

# The uniform, readable custom syntax of every `nn` op:
#   %y = nn.conv2d %x, %w, %b {strides = array<i64: 1, 1>, ...} : (tensor<..>, ..) -> tensor<..>
NN_ASSEMBLY_FORMAT = "operands attr-dict `:` functional-type(operands, results)"


class ShapeError(VerifyException):
    """An op's operands or properties break one of its rules."""


def tensor_f32(shape: Sequence[int]) -> TensorType[Float32Type]:
    return TensorType(f32, list(shape))


def fmt_shape(shape: Sequence[int]) -> str:
    """`2x3x4` (`scalar` for rank 0): how shapes read in error messages."""
    return "x".join(map(str, shape)) or "scalar"


def shape_of(value: SSAValue | Attribute) -> Shape:
    typ = value.type if isinstance(value, SSAValue) else value
    if not isinstance(typ, TensorType):
        raise ShapeError(f"expected a ranked tensor, got {typ}")
    shape = tuple(typ.get_shape())
    if any(d < 0 for d in shape):
        raise ShapeError(f"expected a static shape, got {typ}")
    return shape


# ---- property builders (what the importer and passes write) -------------------------------


def ints_attr(values: Sequence[int]) -> DenseArrayBase:
    return DenseArrayBase.from_list(i64, [int(v) for v in values])


def int_attr(value: int) -> IntegerAttr:
    return IntegerAttr(int(value), i64)


def float_attr(value: float) -> FloatAttr:
    return FloatAttr(float(value), f32)


def str_attr(value: str) -> StringAttr:
    return StringAttr(value)


# ---- property readers (what shape functions, interpreters and passes read) ----------------


def get_attr(props: Props, name: str) -> Attribute:
    """A required property (ShapeError names it when it is missing)."""
    if name not in props:
        raise ShapeError(f"missing property '{name}'")
    return props[name]


def get_ints(props: Props, name: str, default: Sequence[int] | None = None) -> tuple[int, ...]:
    if name not in props and default is not None:
        return tuple(default)
    attr = get_attr(props, name)
    if isinstance(attr, DenseArrayBase):
        return tuple(int(v) for v in attr.get_values())
    if isinstance(attr, ArrayAttr):
        return tuple(_int_of(a) for a in attr.data)
    raise ShapeError(f"property '{name}' must be an array<i64: ...>, got {attr}")


def _int_of(attr: Attribute) -> int:
    if isinstance(attr, IntegerAttr):
        return int(attr.value.data)
    if isinstance(attr, IntAttr):
        return attr.data
    raise ShapeError(f"expected an integer, got {attr}")


def get_int(props: Props, name: str, default: int | None = None) -> int:
    if name not in props and default is not None:
        return default
    return _int_of(get_attr(props, name))


def get_float(props: Props, name: str, default: float | None = None) -> float:
    if name not in props and default is not None:
        return default
    attr = get_attr(props, name)
    if isinstance(attr, FloatAttr):
        return float(attr.value.data)
    if isinstance(attr, IntegerAttr):
        return float(attr.value.data)
    raise ShapeError(f"property '{name}' must be a float, got {attr}")


def get_str(props: Props, name: str, default: str | None = None) -> str:
    if name not in props and default is not None:
        return default
    attr = get_attr(props, name)
    if isinstance(attr, StringAttr):
        return attr.data
    raise ShapeError(f"property '{name}' must be a string, got {attr}")


def require(cond: bool, message: str) -> None:
    """Raise a ShapeError with `message` (the broken rule) unless `cond` holds."""
    if not cond:
        raise ShapeError(message)


# ---- property rules (shared by the shape functions) ---------------------------------------


def get_choice(props: Props, name: str, allowed: Sequence[str], default: str | None = None) -> str:
    """A string property that must be one of `allowed`."""
    value = get_str(props, name, default)
    require(value in allowed, f"{name} must be one of {', '.join(allowed)}, got '{value}'")
    return value


def get_flag(props: Props, name: str, default: int | None = None) -> int:
    """An integer property that must be 0 or 1."""
    value = get_int(props, name, default)
    require(value in (0, 1), f"{name} must be 0 or 1, got {value}")
    return value


def get_positive(props: Props, name: str) -> int:
    """An integer property that must be >= 1 (a count or a size)."""
    value = get_int(props, name)
    require(value >= 1, f"{name} must be >= 1, got {value}")
    return value


def check_finite(props: Props, *names: str) -> None:
    """Each of the float properties `names` must be finite."""
    for name in names:
        value = get_float(props, name)
        require(math.isfinite(value), f"{name} must be finite, got {value}")


# ---- operand shape rules ------------------------------------------------------------------


def one_shape(in_shapes: Sequence[Shape | None]) -> Shape:
    """The operand shape of a one-operand op."""
    (x,) = in_shapes
    assert x is not None
    return x


def check_nchw(x: Shape) -> None:
    require(len(x) == 4, f"input must be 4-D NCHW, got rank {len(x)}")


def check_spatial(x: Shape) -> None:
    require(len(x) >= 3, f"input must be N x C x spatial (rank >= 3), got rank {len(x)}")


class NNOperation(IRDLOperation):
    """Base of every `nn` op: shape inference drives verification and construction."""

    assembly_format: ClassVar[str | None] = NN_ASSEMBLY_FORMAT
    irdl_options = (ParsePropInAttrDict(),)

    @classmethod
    @abstractmethod
    def infer_shapes(cls, in_shapes: Sequence[Shape | None], props: Props) -> list[Shape]:
        """Result shapes from operand shapes (None for an absent optional operand) and
        properties; raises ShapeError naming the broken rule."""

    @classmethod
    def inferred(
        cls, operands: Sequence[SSAValue | Sequence[SSAValue] | None], **props: Attribute
    ) -> Self:
        """Build the op with result types given by `infer_shapes` (raises ShapeError).

        One entry per operand definition: a value, None (absent optional operand) or a list
        of values (variadic operand, which contributes all its shapes).
        """
        in_shapes: list[Shape | None] = []
        for v in operands:
            if v is None or isinstance(v, SSAValue):
                in_shapes.append(None if v is None else shape_of(v))
            else:
                in_shapes.extend(shape_of(x) for x in v)
        shapes = cls.infer_shapes(in_shapes, props)
        result_defs = cls.get_irdl_definition().results
        if len(result_defs) == 1 and len(shapes) != 1:  # a single variadic result
            result_types: list[Attribute | Sequence[Attribute]] = [[tensor_f32(s) for s in shapes]]
        else:
            result_types = [tensor_f32(s) for s in shapes]
        return cls.build(operands=list(operands), result_types=result_types, properties=props)

    def operand_shapes(self) -> list[Shape | None]:
        """Operand shapes in definition order, None where an optional operand is absent."""
        shapes: list[Shape | None] = []
        op_def = self.get_irdl_definition()
        for name, _ in op_def.operands:
            value = getattr(self, name)
            if value is None:
                shapes.append(None)
            elif isinstance(value, SSAValue):
                shapes.append(shape_of(value))
            else:  # variadic
                shapes.extend(shape_of(v) for v in value)
        return shapes

    def check_element_types(self) -> None:
        """The element-type rule; ops with integer operands (index arrays) override it."""
        for value in [*self.operands, *self.results]:
            typ = value.type
            if not isinstance(typ, TensorType) or typ.element_type != f32:
                raise ShapeError(f"all operands and results must be f32 tensors, got {typ}")

    def verify_(self) -> None:
        try:
            self.check_element_types()
            expected = self.infer_shapes(self.operand_shapes(), self.properties)
        except ShapeError as err:
            raise VerifyException(f"'{self.name}': {err}") from None
        actual = [shape_of(r) for r in self.results]
        if [tuple(s) for s in expected] != actual:
            raise VerifyException(
                f"'{self.name}': result shape {_fmt(actual)} does not match the shape "
                f"{_fmt(expected)} implied by the operands {_fmt(self.operand_shapes())} "
                "and properties"
            )


def _fmt(shapes: Sequence[Shape | None]) -> str:
    parts = ["-" if s is None else fmt_shape(s) for s in shapes]
    return ", ".join(parts) if len(parts) != 1 else parts[0]
