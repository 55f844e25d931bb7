"""The `pat` dialect: pattern-pruned convolutions (to be filled)."""

from xdsl.ir import Dialect

PAT = Dialect("pat", [], [])
