#!/bin/bash
# `make dev`: serves the embedded Kafka with every Xiecha topic until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .xiecha
echo "embedded Kafka (Ctrl-C to stop); bootstrap list in .xiecha/bootstrap:"
exec .build/debug/xiecha embedded-kafka --brokers 3 --topics --bootstrap-file .xiecha/bootstrap
