#!/usr/bin/env bash
# The torchrun call behind tools/dist_train.sh and tools/dist_test.sh:
#   tools/torchrun.sh NUM_PROCESSES SCRIPT [SCRIPT args]
# runs SCRIPT --launcher pytorch [SCRIPT args] in NUM_PROCESSES local processes.
# PORT, MASTER_ADDR and PYTHON override the rendezvous port, address and interpreter.
NPROC=$1
SCRIPT=$2
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PY=${PYTHON:-python}
exec "$PY" -m torch.distributed.run \
    --nnodes=1 --node_rank=0 --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$NPROC" --master_port="$PORT" \
    "$SCRIPT" --launcher pytorch "${@:3}"
