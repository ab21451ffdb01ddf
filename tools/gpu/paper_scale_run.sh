#!/usr/bin/env bash
# The prepared device command for the paper-scale TIPSy run (issues 9, 10).
#
#   bash tools/gpu/paper_scale_run.sh smoke   # ~1-2 min: environment, data
#                                             # checksum, full-size bf16 steps
#                                             # (eager and compiled), lifting
#                                             # on the GPU against the CPU
#   bash tools/gpu/paper_scale_run.sh full    # <= 9 min: configs/tipsy_h36m.py
#                                             # (width 1024, batch 8192, the
#                                             # paper's losses) on fps10, as
#                                             # many adversarial epochs as fit
#                                             # (>= 600 required), then the
#                                             # distillation; teacher/student
#                                             # shards + log in $OUT
#
# Runs under the machine's python3 (torch, NumPy; no mmcv/mmpose, no venv).
# mmengine, which reads the config, is pure Python: its wheel and those of
# its pure-Python needs travel in .whl (tools/gpu/fetch_wheels.sh makes it;
# carry .whl) and are installed under /tmp/site when mmengine is missing.
# Needs the pose file, which is git-ignored: carry data/gpu.
# Environment:
#   OUT                 where the outputs go (the device tool sets it)
#   PYTHON              the interpreter (default python3)
#   TIPSY_GPU_DATA      the pose file (default data/gpu/h36m_fps10_train_2d.npz)
#   TIPSY_GPU_CONFIG    the config (default configs/tipsy_h36m.py)
#   TIPSY_MAX_MINUTES   full: the trainer's budget (default 8.5)
#   TIPSY_MIN_EPOCHS    full: adversarial epochs required (default 600:
#                       17,400 steps of 8192 fps10 poses)
#   TIPSY_COMPILE       1: torch.compile the networks (smoke default 1,
#                       full default 0; see docs/gpu_run.md)
#   TIPSY_DRY_RUN       1: on the CPU at toy size (width 16, batch 64, a few
#                       seconds), for CI
# Docs: projects/tipsy_gan/docs/gpu_run.md
set -euo pipefail

MODE=${1:-}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO"
PY=${PYTHON:-python3}
OUT=${OUT:-$REPO/work_dirs/gpu_run/$MODE}
DATA=${TIPSY_GPU_DATA:-data/gpu/h36m_fps10_train_2d.npz}
CONFIG=${TIPSY_GPU_CONFIG:-configs/tipsy_h36m.py}
export PYTHONPATH="$REPO/projects/tipsy_gan${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1
mkdir -p "$OUT"

case "$MODE" in
  smoke|full) ;;
  *) echo "usage: bash tools/gpu/paper_scale_run.sh {smoke|full}" >&2; exit 64 ;;
esac

if ! "$PY" -c 'import mmengine' 2>/dev/null; then
  if ! ls .whl/*.whl >/dev/null 2>&1; then
    echo "mmengine is missing and no wheels are in .whl (make them with" \
         "tools/gpu/fetch_wheels.sh and carry .whl)" >&2
    exit 69
  fi
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
    --upgrade --target /tmp/site .whl/*.whl || exit 69
  export PYTHONPATH="/tmp/site:$PYTHONPATH"
fi

if [ ! -f "$DATA" ]; then
  echo "pose file not found: $DATA (make it on the CPU machine with" \
       "tools/gpu/prepare_data.py and carry data/gpu)" >&2
  exit 66
fi

if [ "${TIPSY_DRY_RUN:-0}" = 1 ]; then
  DEVICE=(--device cpu)
  SIZE=(--width 16 --batch-size 64)
  SMOKE_EXTRA=(--steps 2 --lift-poses 64)
  FULL_EXTRA=(--max-minutes "${TIPSY_MAX_MINUTES:-1}" --adversarial-epochs 2
              --distillation-epochs 1 --min-adversarial-epochs
              "${TIPSY_MIN_EPOCHS:-1}" --reserve-seconds 5 --log-every 20)
  COMPILE_DEFAULT=0
else
  DEVICE=(--device cuda)
  SIZE=()
  SMOKE_EXTRA=(--steps 10)
  FULL_EXTRA=(--max-minutes "${TIPSY_MAX_MINUTES:-8.5}"
              --min-adversarial-epochs "${TIPSY_MIN_EPOCHS:-600}"
              --reserve-seconds 20 --log-every 290 --no-checkpoint)
  if [ "$MODE" = smoke ]; then COMPILE_DEFAULT=1; else COMPILE_DEFAULT=0; fi
fi
COMPILE=()
if [ "${TIPSY_COMPILE:-$COMPILE_DEFAULT}" = 1 ]; then COMPILE=(--compile); fi

{
  echo "[paper_scale_run] mode=$MODE repo=$REPO out=$OUT data=$DATA config=$CONFIG"
  "$PY" -c 'import sys, torch; print("[paper_scale_run] python", sys.version.split()[0], "torch", torch.__version__, "cuda", torch.cuda.is_available() and torch.cuda.get_device_name(0))'
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm --format=csv,noheader || true
} 2>&1 | tee "$OUT/$MODE.log"

set +e
if [ "$MODE" = smoke ]; then
  "$PY" tools/gpu/smoke.py --config "$CONFIG" --data "$DATA" --out-dir "$OUT" \
    "${DEVICE[@]}" ${SIZE[@]+"${SIZE[@]}"} "${SMOKE_EXTRA[@]}" ${COMPILE[@]+"${COMPILE[@]}"} \
    2>&1 | tee -a "$OUT/$MODE.log"
else
  "$PY" tools/train_standalone.py "$CONFIG" --data "$DATA" \
    --out-dir "$OUT" "${DEVICE[@]}" ${SIZE[@]+"${SIZE[@]}"} "${FULL_EXTRA[@]}" \
    ${COMPILE[@]+"${COMPILE[@]}"} 2>&1 | tee -a "$OUT/$MODE.log"
fi
status=${PIPESTATUS[0]}
set -e
echo "[paper_scale_run] $MODE exit status $status; files in $OUT:" | tee -a "$OUT/$MODE.log"
ls -l "$OUT" | tee -a "$OUT/$MODE.log"
exit "$status"
