#!/usr/bin/env bash
# Distributed evaluation through mmengine: tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCESSES [test.py args]
# On CPU, the gloo backend; the metrics are computed once, over every rank's poses.
TOOLS=$(dirname "$0")
exec bash "$TOOLS/torchrun.sh" "$3" "$TOOLS/test.py" "$1" "$2" "${@:4}"
