#!/usr/bin/env bash
# Installs the full stack (torch, mmengine, mmcv with ops, mmdet, mmpose, this plugin)
# into a virtual environment. Usage: bash tools/install.sh [VENV_DIR]   (default .venv)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${1:-.venv}"
PY="${PYTHON:-python3}"

step() { echo "[install] $*"; }

if [ ! -x "$VENV/bin/python" ]; then
  step "creating virtual environment $VENV"
  "$PY" -m venv "$VENV"
fi
PIP="$VENV/bin/python -m pip"
# -c on the command line replaces any machine-wide constraint file, so ours repeats its torch cap.
export PIP_CONSTRAINT="$PWD/requirements/constraints.txt"
export PIP_DISABLE_PIP_VERSION_CHECK=1

step "build tools"
$PIP install -q -r requirements/build.txt
step "torch"
# torch 2.14.1 on x86_64 is a CUDA build: about 6 GB in the venv, more while pip unpacks it.
if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
  free_gb=$(df -Pk "$VENV" | awk 'NR==2 {print int($4 / 1048576)}')
  if [ "${free_gb:-0}" -lt 10 ]; then
    echo "[install] error: ${free_gb} GB free on the disk that holds $VENV; installing torch needs about 10 GB" >&2
    echo "[install] (old clones with their own .venv are the usual cause: df -h; du -sh /tmp/*)" >&2
    exit 1
  fi
fi
$PIP install -q -r requirements/torch.txt
step "mmengine"
$PIP install -q "$(grep '^mmengine' requirements/openmmlab.txt)"
if ! "$VENV/bin/python" -c "import mmcv.ops" 2>/dev/null; then
  bash tools/build_mmcv_wheel.sh "$VENV"
fi
step "mmdet"
$PIP install -q "$(grep '^mmdet' requirements/openmmlab.txt)"
step "xtcocotools from source (its wheels break under numpy 2)"
$PIP install -q --no-binary xtcocotools --no-build-isolation -r requirements/xtcocotools.txt
step "mmpose without chumpy"
$PIP install -q -r requirements/mmpose.txt
$PIP install -q --no-deps "mmpose==1.3.2"
step "test tools and this plugin"
$PIP install -q -r requirements/runtime.txt
$PIP install -q -r requirements/tests.txt
$PIP install -q --no-build-isolation -e .
"$VENV/bin/python" -c "import mmcv.ops, mmdet, mmpose, tipsy_gan; print('[install] ok: mmcv', mmcv.__version__, 'mmpose', mmpose.__version__)"
