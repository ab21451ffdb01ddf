#!/usr/bin/env bash
# The wheels the torch-only GPU machine lacks, into .whl (git-ignored; carry
# it): mmengine, which reads the configs, and its pure-Python needs that the
# machine's image does not hold (docs/gpu_run.md). Needs pip and a package
# registry; the versions are the install's pins (requirements/).
#
#   bash tools/gpu/fetch_wheels.sh [PYTHON_VERSION]   # default 3.12
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO"
PYV=${1:-3.12}
PY=${PYTHON:-python3}
MMENGINE=$(grep -h '^mmengine==' requirements/*.txt | head -n 1)
mkdir -p .whl
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version "$PYV" \
  --implementation cp --platform manylinux2014_x86_64 --platform any -d .whl \
  "$MMENGINE" addict==2.4.0 yapf==0.43.0 termcolor==3.3.0 platformdirs==4.14.9
ls -l .whl
