#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian machine: system packages the project needs, a .venv,
# and patcc installed in editable mode with its dev and train extras. Quick when everything
# is there.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: the C toolchain (targets), SIMDe (NEON on x86), aarch64 cross gcc + qemu,
# PoCL (OpenCL on the CPU). Installed only when missing.
DEB_PKGS=(build-essential libsimde-dev gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
          pocl-opencl-icd ocl-icd-opencl-dev)
missing=()
for p in "${DEB_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "setup: installing Debian packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp=.venv/.stamp-install
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "setup: installing patcc (editable) with dev and train extras into .venv"
    .venv/bin/python -m pip install -q --upgrade pip >/dev/null
    # train: torch==2.13.0 (CPU build from local disk, ~30 s, ~0.9 GB) for the ADMM tests
    .venv/bin/python -m pip install -q -e ".[dev,train]"
    touch "$stamp"
fi
