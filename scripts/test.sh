#!/bin/bash
# `make test`: builds everything, checks the JSON Schemas against their examples, starts a
# throw-away PostgreSQL on loopback for the store tests, and runs the whole Swift test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
swift build --product xiecha
python3 Tests/schemas/check_examples.py

pgdir=$(mktemp -d /tmp/xiecha-pg.XXXXXX)
rmdir "$pgdir"
port=$((20000 + RANDOM % 20000))
cleanup() { scripts/postgres/stop-test-server.sh "$pgdir" >/dev/null 2>&1 || true; }
trap cleanup EXIT
XIECHA_TEST_POSTGRES_URL=$(scripts/postgres/start-test-server.sh "$pgdir" "$port")
export XIECHA_TEST_POSTGRES_URL
export XIECHA_BINARY="$PWD/.build/debug/xiecha"
swift test --skip-build
