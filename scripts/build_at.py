"""Build a model with patcc as it was at another commit: the *before* of an A/B.

    .venv/bin/python scripts/build_at.py REV MODEL.onnx OUT_DIR

Checks REV out into a temporary git worktree and runs `patcc.compile(model, target="x86",
patterns=None, out_dir=OUT_DIR)` with that tree first on the path, then removes the worktree.
Why a script: `PYTHONPATH=worktree` alone mixes trees. The editable install maps
`patcc.passes` and `patcc.dialects` to this checkout's `passes/` and `dialects/` (they live
beside `patcc/`, pyproject's package-dir), and a worktree's `patcc/` has no such folders, so
the import falls through to the editable finder: the *before* build ran this tree's passes
with the old `patcc/`. The worktree here gets the two as links inside its `patcc/`, which the
path finder meets before the editable one.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

BUILD = (
    "import sys, onnx, patcc, patcc.passes\n"
    "assert patcc.passes.__file__.startswith(sys.argv[3]), patcc.passes.__file__\n"
    "patcc.compile(onnx.load(sys.argv[1]), target='x86', patterns=None, out_dir=sys.argv[2])\n"
)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("rev", help="a commit of this repository")
    p.add_argument("model", type=Path, help="an ONNX model (pruned: patterns=None keeps it)")
    p.add_argument("out", type=Path, help="the build folder to write")
    args = p.parse_args()
    repo = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="patcc-at-") as tmp:
        tree = Path(tmp) / "tree"
        git = ["git", "-C", str(repo), "worktree"]
        subprocess.run([*git, "add", "-q", "--detach", str(tree), args.rev], check=True)
        try:
            for name in ("passes", "dialects"):
                (tree / "patcc" / name).symlink_to(tree / name)
            env = {**os.environ, "PYTHONPATH": str(tree)}
            model, out = args.model.resolve(), args.out.resolve()
            cmd = [sys.executable, "-c", BUILD, str(model), str(out), str(tree)]
            subprocess.run(cmd, check=True, env=env, cwd=tmp)
        finally:
            subprocess.run([*git, "remove", "--force", str(tree)], check=True)


if __name__ == "__main__":
    main()
