#!/usr/bin/env bash
# Distributed evaluation through mmengine: tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCESSES [test.py args]
# On CPU, the gloo backend; the metrics are computed once, over every rank's poses.
CONFIG=$1
CHECKPOINT=$2
NPROC=$3
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PY=${PYTHON:-python}
"$PY" -m torch.distributed.run \
    --nnodes=1 --node_rank=0 --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$NPROC" --master_port="$PORT" \
    "$(dirname "$0")/test.py" "$CONFIG" "$CHECKPOINT" --launcher pytorch "${@:4}"
