"""The reference docs stay true as the code grows.

- docs/dialects.md documents every op of the `nn` and `pat` dialects (each property in the
  op's own section or table row), every dialect attribute and the discardable attributes;
- its `## ONNX operators` section (the anchor the importer's error message points to) names
  every ONNX op type that has a converter;
- docs/architecture.md names every pass of `patcc.passes.ALL_PASSES`;
- docs/examples/tiny_model.py runs, and every IR line the two pages quote is real tool output:
  a line of the example's files (weight blobs elided as on the pages) or of the round trip
  of the FileCheck files through xdsl-opt.
"""

from __future__ import annotations

import importlib.util
import re
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest
from xdsl.xdsl_opt_main import xDSLOptMain

from patcc.dialects.nn import NN
from patcc.dialects.pat import PAT
from patcc.frontend.context import SUPPORTED_OPS_DOC
from patcc.frontend.converters import CONVERTERS
from patcc.passes import ALL_PASSES
from patcc.passes.prune_patterns import SKIP_ATTR
from patcc.semantics import NAME_ATTR

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
DIALECTS_MD = DOCS / "dialects.md"
ARCHITECTURE_MD = DOCS / "architecture.md"
EXAMPLE = DOCS / "examples" / "tiny_model.py"
ONNX_HEADING = "## ONNX operators"
# FileCheck files whose round trip (custom and generic form) dialects.md may quote
ROUND_TRIP_FILES = [
    *sorted(p for p in (ROOT / "filecheck" / "nn").glob("*.mlir") if "error" not in p.name),
    ROOT / "filecheck" / "pat" / "roundtrip.mlir",
    ROOT / "filecheck" / "pat" / "prefetch.mlir",
]
HEX_BLOB = re.compile(r'dense<"0x([0-9A-F]{8})[0-9A-F]*">')


def _text(path: Path) -> str:
    return path.read_text()


def _sections(text: str) -> list[tuple[str, str]]:
    """(heading line, body) of every Markdown section, at any heading level."""
    out: list[tuple[str, list[str]]] = [("", [])]
    in_fence = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
        if not in_fence and line.startswith("#"):
            out.append((line, []))
        else:
            out[-1][1].append(line)
    return [(heading, "\n".join(body)) for heading, body in out]


def _op_docs(text: str, op_name: str) -> list[str]:
    """The text documenting one op: its own section(s), or else its table row(s)."""
    code = f"`{op_name}`"
    sections = [f"{h}\n{body}" for h, body in _sections(text) if code in h]
    if sections:
        return sections
    return [line for line in text.splitlines() if line.startswith(f"| {code} |")]


def _all_ops():
    return [(dialect.name, op) for dialect in (NN, PAT) for op in dialect.operations]


@pytest.mark.parametrize(("dialect", "op"), _all_ops(), ids=[op.name for _, op in _all_ops()])
def test_every_op_and_property_is_documented(dialect: str, op) -> None:
    text = _text(DIALECTS_MD)
    assert f"`{op.name}`" in text, f"{op.name} ({dialect} dialect) is missing from docs/dialects.md"
    props = list(op.get_irdl_definition().properties)
    if not props:
        return
    docs = _op_docs(text, op.name)
    assert docs, (
        f"{op.name} has properties but no section (a heading naming `{op.name}`) or table row "
        "(a line starting with '| `{op.name}` |') in docs/dialects.md"
    )
    for prop in props:
        assert any(f"`{prop}`" in d for d in docs), (
            f"property `{prop}` of {op.name} is not in its section of docs/dialects.md"
        )


def test_every_attribute_is_documented() -> None:
    text = _text(DIALECTS_MD)
    for dialect in (NN, PAT):
        for attr in dialect.attributes:
            assert f"`#{attr.name}`" in text, f"attribute #{attr.name} missing from dialects.md"
    for name in (NAME_ATTR, SKIP_ATTR):
        assert f"`{name}`" in text, f"discardable attribute {name} missing from dialects.md"


def _onnx_section() -> str:
    text = _text(DIALECTS_MD)
    assert f"\n{ONNX_HEADING}\n" in text, f"docs/dialects.md has no '{ONNX_HEADING}' heading"
    rest = text.split(f"\n{ONNX_HEADING}\n", 1)[1]
    return re.split(r"\n## ", rest, maxsplit=1)[0]


def test_importer_error_points_at_the_onnx_section() -> None:
    path, anchor = SUPPORTED_OPS_DOC.split("#")
    assert (ROOT / path).resolve() == DIALECTS_MD
    # GitHub's anchor of a heading: lower case, spaces to dashes
    assert anchor == ONNX_HEADING.lstrip("# ").lower().replace(" ", "-")


def test_every_converted_onnx_op_is_listed() -> None:
    section = _onnx_section()
    missing = [op for op in CONVERTERS if f"`{op}`" not in section]
    assert not missing, f"ONNX ops with a converter missing from '{ONNX_HEADING}': {missing}"
    for folded in ("Constant", "Shape"):
        assert f"`{folded}`" in section


def test_every_pass_is_in_the_architecture_page() -> None:
    text = _text(ARCHITECTURE_MD)
    missing = [name for name in ALL_PASSES if f"`{name}" not in text]
    assert not missing, f"passes missing from docs/architecture.md: {missing}"


def test_the_quoted_pipeline_is_the_commands_output() -> None:
    """The page quotes `patcc pipeline patdnn`: a new lowering option once left it stale."""
    from patcc.pipelines import patdnn, pipeline_string

    quoted = _text(ARCHITECTURE_MD).split("$ patcc pipeline patdnn\n", 1)[1].split("\n", 1)[0]
    assert quoted.strip() == pipeline_string(patdnn())


# ---- the example script and the IR the pages quote ----------------------------------------


def _load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tiny_model_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def example_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tiny")
    paths = _load_example().main(out)
    assert [p.name for p in paths] == [
        "tiny.onnx",
        "0_nn_raw.mlir",
        "1_nn.mlir",
        "2_pat.mlir",
        "3_fkr.mlir",
        "4_fkw.mlir",
        "5_loops.mlir",
        "6_tiled.mlir",
        "7_lre.mlir",
    ]
    return out


def _xdsl_opt(path: Path, out: Path, *flags: str) -> str:
    """Run xdsl-opt (in-process) on `path`; the printed module."""
    xDSLOptMain(args=[str(path), *flags, "-o", str(out)]).run()
    return out.read_text()


def test_example_files_parse_with_xdsl_opt(example_dir: Path, tmp_path: Path) -> None:
    assert (example_dir / "tiny.onnx").stat().st_size > 0
    printed = {}
    for mlir in sorted(example_dir.glob("*.mlir")):
        printed[mlir.name] = _xdsl_opt(mlir, tmp_path / mlir.name)
    assert len(printed) == 8
    # the facts docs/architecture.md tells about each level
    assert "nn.batch_norm" in printed["0_nn_raw.mlir"]
    assert "nn.batch_norm" not in printed["1_nn.mlir"]
    assert "pat.conv2d" in printed["2_pat.mlir"] and SKIP_ATTR in printed["2_pat.mlir"]
    assert "filter_order" in printed["3_fkr.mlir"]
    assert "pat.fkw_conv2d" in printed["4_fkw.mlir"]
    assert "pat.conv2d" not in printed["4_fkw.mlir"]
    assert "pat.fkw_conv2d" not in printed["5_loops.mlir"]
    assert "scf.for" in printed["5_loops.mlir"] and "pat.pattern" in printed["5_loops.mlir"]
    assert "pat.tile = 4" in printed["6_tiled.mlir"] and "pat.unroll" in printed["6_tiled.mlir"]
    assert "pat.unroll" not in printed["7_lre.mlir"]
    assert "%173, %174, %175, %176 = scf.for %k" in printed["7_lre.mlir"]


INLINE_OP = re.compile(r"`(%[^`]* = [^`]*: [^`]*)`")


def _quoted_ir(path: Path) -> list[str]:
    """IR lines the page quotes: indented code lines that define a value (`%x = ...`), and
    whole op lines in inline code (the examples of a table)."""
    lines = _text(path).splitlines()
    blocks = [s for line in lines if line.startswith("    ") and (s := line.strip())[:1] == "%"]
    inline = [m.group(1) for line in lines for m in INLINE_OP.finditer(line)]
    return blocks + inline


def _elided(text: str) -> set[str]:
    return {HEX_BLOB.sub(r'dense<"0x\1...">', line).strip() for line in text.splitlines()}


@cache
def _round_trip_lines(tmp: str) -> frozenset[str]:
    lines: set[str] = set()
    for i, path in enumerate(ROUND_TRIP_FILES):
        lines |= _elided(_xdsl_opt(path, Path(tmp) / f"custom{i}.mlir"))
        lines |= _elided(_xdsl_opt(path, Path(tmp) / f"generic{i}.mlir", "--print-op-generic"))
    return frozenset(lines)


def test_quoted_ir_is_tool_output(example_dir: Path, tmp_path: Path) -> None:
    example = set().union(*(_elided(p.read_text()) for p in example_dir.glob("*.mlir")))
    stale = [line for line in _quoted_ir(ARCHITECTURE_MD) if line not in example]
    assert not stale, "docs/architecture.md quotes IR that tiny_model.py no longer produces:\n" + (
        "\n".join(stale)
    )
    known = example | _round_trip_lines(str(tmp_path))
    stale = [line for line in _quoted_ir(DIALECTS_MD) if line not in known]
    assert not stale, "docs/dialects.md quotes IR that the tools no longer print:\n" + (
        "\n".join(stale)
    )


SCRIPTS_DIR = ROOT / "scripts"
SCRIPTS = sorted(SCRIPTS_DIR.glob("*.py"))


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_scripts_the_docs_quote_still_start(script: Path) -> None:
    """Every Python script under scripts/ (docs/performance.md and benchmarks.md give their
    commands) imports what it uses and parses `--help`: a refactor of the module a script
    patches or imports from shows up here, not in the next session's measurement."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage:" in done.stdout


def test_build_at_builds_with_the_commits_own_passes(tmp_path: Path) -> None:
    """scripts/build_at.py (the *before* of an A/B) compiles with the commit's own
    `patcc.passes`, not this checkout's (the editable install maps that package here; the
    script asserts where it came from), and a build of HEAD from a clean checkout is byte
    for byte the working tree's."""
    import subprocess
    import sys

    import onnx
    from bench_helpers import tiny_conv

    import patcc

    model = tmp_path / "tiny.onnx"
    onnx.save(tiny_conv(), str(model))
    out = tmp_path / "at_head"
    script = SCRIPTS_DIR / "build_at.py"
    done = subprocess.run(
        [sys.executable, str(script), "HEAD", str(model), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    status = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=True,
    )
    if not status.stdout.strip():  # HEAD is the working tree: the same C
        here = tmp_path / "here"
        patcc.compile(onnx.load(str(model)), target="x86", patterns=None, out_dir=here)
        assert (out / "model.c").read_bytes() == (here / "model.c").read_bytes()
    else:
        assert (out / "model.c").is_file()
