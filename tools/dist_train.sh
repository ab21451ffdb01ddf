#!/usr/bin/env bash
# Distributed training through mmengine: tools/dist_train.sh CONFIG NUM_PROCESSES [train.py args]
# On CPU, train.py starts the gloo backend itself.
TOOLS=$(dirname "$0")
exec bash "$TOOLS/torchrun.sh" "$2" "$TOOLS/train.py" "$1" "${@:3}"
