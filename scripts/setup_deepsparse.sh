#!/usr/bin/env bash
# DeepSparse 1.8.0, a peer of `patcc bench`, in an environment of its own (.venv-deepsparse):
# its releases pin numpy 1.x and onnx 1.14, below patcc's own, and ship wheels for CPython
# 3.8-3.11 on x86-64 Linux only (the bench's worker needs 3.9 or later). The bench drives it
# through --peer-python (patcc/bench/remote_peer.py). Idempotent; not part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
ver=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
case "$ver" in
    3.9 | 3.10 | 3.11) ;;
    *) echo "setup_deepsparse: DeepSparse 1.8.0 and the bench worker need CPython 3.9-3.11; $PY is $ver (set PYTHON=python3.11)" >&2
       exit 1 ;;
esac
if [ "$(uname -m)" != x86_64 ]; then
    echo "setup_deepsparse: DeepSparse 1.8.0 runs on x86-64 Linux only, this is $(uname -m)" >&2
    exit 1
fi
[ -x .venv-deepsparse/bin/python ] || "$PY" -m venv .venv-deepsparse
if ! .venv-deepsparse/bin/python -c 'import deepsparse' 2>/dev/null; then
    echo "setup_deepsparse: installing deepsparse 1.8.0 into .venv-deepsparse"
    .venv-deepsparse/bin/python -m pip install -q "deepsparse==1.8.0"
fi
echo "setup_deepsparse: ready. patcc bench --peers ort,mnn,deepsparse --peer-python deepsparse=.venv-deepsparse/bin/python"
