"""Vector intrinsics per target: how each vector<N x f32> operation is spelled in C.

The shared C printer handles everything scalar; a target only says which vector widths it
has and, per width, the C type and an intrinsic template for each operation. Templates use
`{a}`, `{b}`, `{c}` (operands), `{p}` (an address) and `{x}` (a scalar).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class VectorIsa:
    """One vector width of one target (e.g. AVX2's __m256 for vector<8xf32>)."""

    lanes: int
    type: str
    mask_type: str
    load: str
    store: str
    splat: str
    fma: str  # a * b + c
    binary: dict[str, str]  # arith op name -> template of {a}, {b}
    compare: dict[str, str]  # arith.cmpf predicate -> template of {a}, {b} giving a mask
    select: str  # {m} ? {a} : {b}, lane-wise
    neg: str
    cflags: tuple[str, ...] = field(default=())
    # ops whose `binary` form is right for a NaN in {a} only (x86's max/min_ps): the form
    # for a {b} that may be NaN; the printer keeps `binary`'s where {b} is a constant
    nan_both: dict[str, str] = field(default_factory=dict[str, str])
    # a `nontemporal` store ({p} aligned to the vector's bytes: `stream-stores` proves it)
    # and the fence that orders such stores; "": the ISA has none (a plain store, no fence)
    stream: str = ""
    stream_fence: str = ""


def _x86(lanes: int, prefix: str, reg: str, suffix: str, cflags: tuple[str, ...]) -> VectorIsa:
    """SSE (128-bit, VEX-encoded), AVX2 (256) and AVX-512 (512) share their naming scheme."""
    p = prefix
    if lanes == 16:
        compare = {pred: f"{p}_cmp_ps_mask({{a}}, {{b}}, {imm})" for pred, imm in _CMP_IMM.items()}
        select = f"{p}_mask_blend_ps({{m}}, {{b}}, {{a}})"
        mask = "__mmask16"
    else:
        compare = {pred: f"{p}_cmp_ps({{a}}, {{b}}, {imm})" for pred, imm in _CMP_IMM.items()}
        select = f"{p}_blendv_ps({{b}}, {{a}}, {{m}})"
        mask = reg
    # max/min_ps give their second operand where either is NaN: right for the NaN of {a}
    # (maximumf: NaN; maxnumf: {b}); where {b} is NaN, maximumf wants {b}, maxnumf {a}
    b_nan = compare["uno"].format(a="{b}", b="{b}")
    nan_both = {
        f"arith.{fn}{kind}f": select.format(m=b_nan, a=pick, b=f"{p}_{fn}_ps({first}, {second})")
        for fn in ("max", "min")
        for kind, pick, first, second in (
            ("imum", "{b}", "{b}", "{a}"),
            ("num", "{a}", "{a}", "{b}"),
        )
    }
    return VectorIsa(
        lanes=lanes,
        type=reg,
        mask_type=mask,
        load=f"{p}_loadu_{suffix}({{p}})",
        store=f"{p}_storeu_{suffix}({{p}}, {{a}})",
        splat=f"{p}_set1_ps({{x}})",
        fma=f"{p}_fmadd_ps({{a}}, {{b}}, {{c}})",
        binary={
            "arith.addf": f"{p}_add_ps({{a}}, {{b}})",
            "arith.subf": f"{p}_sub_ps({{a}}, {{b}})",
            "arith.mulf": f"{p}_mul_ps({{a}}, {{b}})",
            "arith.divf": f"{p}_div_ps({{a}}, {{b}})",
            # max/min_ps return the second operand when either is NaN: NaNs of {a} propagate
            "arith.maximumf": f"{p}_max_ps({{b}}, {{a}})",
            "arith.minimumf": f"{p}_min_ps({{b}}, {{a}})",
            "arith.maxnumf": f"{p}_max_ps({{a}}, {{b}})",
            "arith.minnumf": f"{p}_min_ps({{a}}, {{b}})",
        },
        compare=compare,
        select=select,
        neg=f"{p}_xor_ps({{a}}, {p}_set1_ps(-0.0f))",
        cflags=cflags,
        nan_both=nan_both,
        stream=f"{p}_stream_ps({{p}}, {{a}})",
        stream_fence="_mm_sfence()",
    )


# arith.cmpf predicate -> _CMP_* immediate (ordered predicates quiet, unordered ones too)
_CMP_IMM = {
    "oeq": "_CMP_EQ_OQ",
    "ogt": "_CMP_GT_OQ",
    "oge": "_CMP_GE_OQ",
    "olt": "_CMP_LT_OQ",
    "ole": "_CMP_LE_OQ",
    "one": "_CMP_NEQ_OQ",
    "ord": "_CMP_ORD_Q",
    "ueq": "_CMP_EQ_UQ",
    "ugt": "_CMP_NLE_UQ",
    "uge": "_CMP_NLT_UQ",
    "ult": "_CMP_NGE_UQ",
    "ule": "_CMP_NGT_UQ",
    "une": "_CMP_NEQ_UQ",
    "uno": "_CMP_UNORD_Q",
}

_NEON4 = VectorIsa(
    lanes=4,
    type="float32x4_t",
    mask_type="uint32x4_t",
    load="vld1q_f32({p})",
    store="vst1q_f32({p}, {a})",
    splat="vdupq_n_f32({x})",
    fma="vfmaq_f32({c}, {a}, {b})",
    binary={
        "arith.addf": "vaddq_f32({a}, {b})",
        "arith.subf": "vsubq_f32({a}, {b})",
        "arith.mulf": "vmulq_f32({a}, {b})",
        "arith.divf": "patcc_vdivq_f32({a}, {b})",  # vdivq_f32 is AArch64-only (and not in SIMDe)
        "arith.maximumf": "vmaxq_f32({a}, {b})",  # FMAX: NaN from either operand
        "arith.minimumf": "vminq_f32({a}, {b})",
        "arith.maxnumf": "vmaxnmq_f32({a}, {b})",
        "arith.minnumf": "vminnmq_f32({a}, {b})",
    },
    compare={
        "oeq": "vceqq_f32({a}, {b})",
        "ogt": "vcgtq_f32({a}, {b})",
        "oge": "vcgeq_f32({a}, {b})",
        "olt": "vcltq_f32({a}, {b})",
        "ole": "vcleq_f32({a}, {b})",
        "une": "vmvnq_u32(vceqq_f32({a}, {b}))",
        "ugt": "vmvnq_u32(vcleq_f32({a}, {b}))",
        "uge": "vmvnq_u32(vcltq_f32({a}, {b}))",
        "ult": "vmvnq_u32(vcgeq_f32({a}, {b}))",
        "ule": "vmvnq_u32(vcgtq_f32({a}, {b}))",
    },
    select="vbslq_f32({m}, {a}, {b})",
    neg="vnegq_f32({a})",
)

X86_ISAS = {
    4: _x86(4, "_mm", "__m128", "ps", ()),
    8: _x86(8, "_mm256", "__m256", "ps", ()),
    16: _x86(16, "_mm512", "__m512", "ps", ("-mavx512f", "-mavx512vl")),
}
NEON_ISAS = {4: _NEON4}

X86_PRELUDE = "#include <immintrin.h>\n"
NEON_PRELUDE = """\
#ifdef PATCC_SIMDE
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/arm/neon.h>
#else
#include <arm_neon.h>
#endif
#if defined(PATCC_SIMDE) || !defined(__aarch64__)
/* no vdivq_f32 here: IEEE division lane by lane, the same results */
static inline float32x4_t patcc_vdivq_f32(float32x4_t a, float32x4_t b)
{
    float x[4], y[4];
    vst1q_f32(x, a);
    vst1q_f32(y, b);
    for (int l = 0; l < 4; l++) x[l] /= y[l];
    return vld1q_f32(x);
}
#else
#define patcc_vdivq_f32 vdivq_f32
#endif
"""
