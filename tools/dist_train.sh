#!/usr/bin/env bash
# Distributed training through mmengine: tools/dist_train.sh CONFIG NUM_PROCESSES [train.py args]
# On CPU, mmengine picks the gloo backend.
CONFIG=$1
NPROC=$2
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PY=${PYTHON:-python}
"$PY" -m torch.distributed.run \
    --nnodes=1 --node_rank=0 --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$NPROC" --master_port="$PORT" \
    "$(dirname "$0")/train.py" "$CONFIG" --launcher pytorch "${@:3}"
