"""lit configuration: every .mlir under filecheck/ is a FileCheck test of patcc's IR tools."""

import os

import lit.formats

config.name = "patcc"  # noqa: F821  (lit injects `config`)
config.test_format = lit.formats.ShTest(execute_external=False)  # noqa: F821
config.suffixes = [".mlir"]  # noqa: F821
config.test_source_root = os.path.dirname(__file__)  # noqa: F821
config.excludes = ["lit.cfg.py", "Output"]  # noqa: F821
# The venv's tools (xdsl-opt, filecheck, patcc) come first on PATH: the Makefile sets it.
config.environment["PATH"] = os.environ["PATH"]  # noqa: F821
