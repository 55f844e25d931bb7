"""OpenCL C spellings for the shared C printer: vector<N x f32> as floatN, scalar types
and math functions under their OpenCL names.

OpenCL C has vector types and overloaded built-ins, so every vector operation is an
expression (vloadN/vstoreN, fma, select, overloaded exp/tanh) and no lane-by-lane fallback
is needed. The prelude maps the C library names the shared printer uses (expf, fmaxf, ...)
to OpenCL's built-ins, so scalar code prints exactly as for the C targets.
"""

from __future__ import annotations

from patcc.targets.c_printer import HELPERS
from patcc.targets.isa import VectorIsa

_COMPARE = {
    "oeq": "({a} == {b})",
    "ogt": "({a} > {b})",
    "oge": "({a} >= {b})",
    "olt": "({a} < {b})",
    "ole": "({a} <= {b})",
    "one": "(({a} < {b}) | ({a} > {b}))",
    "ord": "isordered({a}, {b})",
    "ueq": "!(({a} < {b}) | ({a} > {b}))",
    "ugt": "!({a} <= {b})",
    "uge": "!({a} < {b})",
    "ult": "!({a} >= {b})",
    "ule": "!({a} > {b})",
    "une": "({a} != {b})",
    "uno": "isunordered({a}, {b})",
}
# math ops on vectors: OpenCL's built-ins are overloaded for floatN
_VECTOR_MATH = {
    "math.exp": "exp({a})",
    "math.exp2": "exp2({a})",
    "math.expm1": "expm1({a})",
    "math.log": "log({a})",
    "math.log1p": "log1p({a})",
    "math.log2": "log2({a})",
    "math.log10": "log10({a})",
    "math.tanh": "tanh({a})",
    "math.sqrt": "sqrt({a})",
    "math.rsqrt": "rsqrt({a})",
    "math.absf": "fabs({a})",
    "math.erf": "erf({a})",
    "math.floor": "floor({a})",
    "math.ceil": "ceil({a})",
    "math.round": "round({a})",
    "math.roundeven": "rint({a})",
    "math.trunc": "trunc({a})",
    "math.sin": "sin({a})",
    "math.cos": "cos({a})",
    "math.tan": "tan({a})",
    "math.atan": "atan({a})",
    "math.powf": "pow({a}, {b})",
    "math.atan2": "atan2({a}, {b})",
    "math.copysign": "copysign({a}, {b})",
}


def _isa(lanes: int) -> VectorIsa:
    t = f"float{lanes}"
    return VectorIsa(
        lanes=lanes,
        type=t,
        mask_type=f"int{lanes}",
        load=f"vload{lanes}(0, {{p}})",
        store=f"vstore{lanes}({{a}}, 0, {{p}})",
        splat=f"(({t})({{x}}))",
        fma="fma({a}, {b}, {c})",
        binary={
            "arith.addf": "({a} + {b})",
            "arith.subf": "({a} - {b})",
            "arith.mulf": "({a} * {b})",
            "arith.divf": "({a} / {b})",
            # NaN-propagating, like numpy's np.maximum (OpenCL's max/fmax are not)
            "arith.maximumf": "select({b}, {a}, isnan({a}) | ({a} > {b}))",
            "arith.minimumf": "select({b}, {a}, isnan({a}) | ({a} < {b}))",
            "arith.maxnumf": "fmax({a}, {b})",
            "arith.minnumf": "fmin({a}, {b})",
            **_VECTOR_MATH,
        },
        compare=_COMPARE,
        select="select({b}, {a}, {m})",
        neg="(-{a})",
    )


OPENCL_ISAS = {lanes: _isa(lanes) for lanes in (2, 4, 8, 16)}

# the shared printer's C99 scalar type names -> OpenCL C's
OPENCL_SCALARS = {"int8_t": "char", "int16_t": "short", "int32_t": "int", "int64_t": "long"}

_LIBRARY_NAMES = """\
/* C library names of the shared C printer -> OpenCL built-ins (overloaded for float) */
#define expf exp
#define exp2f exp2
#define expm1f expm1
#define logf log
#define log1pf log1p
#define log2f log2
#define log10f log10
#define tanhf tanh
#define sqrtf sqrt
#define fabsf fabs
#define erff erf
#define floorf floor
#define ceilf ceil
#define roundf round
#define nearbyintf rint
#define truncf trunc
#define sinf sin
#define cosf cos
#define tanf tan
#define atanf atan
#define powf pow
#define atan2f atan2
#define copysignf copysign
#define fmaf fma
#define fmaxf fmax
#define fminf fmin
"""
# the C targets' scalar helpers (static inline functions) are valid OpenCL C too
OPENCL_PRELUDE = _LIBRARY_NAMES + "\n" + HELPERS
