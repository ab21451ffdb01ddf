#!/usr/bin/env bash
# Builds mmcv 2.1.0 with compiled ops for the torch in VENV, caches the wheel, installs it.
# Why a patch: mmcv 2.1.0's setup.py forces -std=c++14/17, but torch >= 2.10 headers need
# C++20 ("C++20 or later compatible compiler is required to use ATen"). We raise only the
# -std flags. The first build takes about 17 minutes on 2 cores; later installs reuse the wheel.
set -euo pipefail
VENV="${1:?usage: build_mmcv_wheel.sh VENV}"
PY="$VENV/bin/python"
MMCV_VERSION=2.1.0
TAG="$("$PY" -c 'import sys, torch; print(f"py{sys.version_info[0]}{sys.version_info[1]}-torch{torch.__version__}".replace("+", "_"))')"
CACHE="${TIPSY_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tipsy_gan/wheels}/$TAG"
mkdir -p "$CACHE"
WHEEL="$(ls "$CACHE"/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n1 || true)"
if [ -z "$WHEEL" ]; then
  WORK="$(mktemp -d)"
  trap 'rm -rf "$WORK"' EXIT
  echo "[mmcv] building mmcv $MMCV_VERSION with ops for $TAG (about 17 minutes on 2 cores)"
  "$PY" -m pip download -q --no-deps --no-binary :all: "mmcv==$MMCV_VERSION" -d "$WORK"
  tar -xzf "$WORK/mmcv-$MMCV_VERSION.tar.gz" -C "$WORK"
  sed -i -e 's/c++14/c++20/g' -e 's/c++17/c++20/g' "$WORK/mmcv-$MMCV_VERSION/setup.py"
  # Build into WORK first and move at the end, so an interrupted build leaves no wheel behind.
  MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
    "$PY" -m pip wheel --no-deps --no-build-isolation -w "$WORK/dist" "$WORK/mmcv-$MMCV_VERSION"
  mv "$WORK"/dist/mmcv-*.whl "$CACHE/"
  WHEEL="$(ls "$CACHE"/mmcv-"$MMCV_VERSION"-*.whl | head -n1)"
fi
echo "[mmcv] installing $WHEEL"
"$PY" -m pip install -q "$WHEEL"
