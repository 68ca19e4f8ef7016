#!/bin/bash
# Runs every benchmark and prints one `BENCH <name> <value> <unit>` line per figure.
# Called by `make bench` after the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BENCH_BIN:-.build/release}
COUNT=${BENCH_KAFKA_COUNT:-1000000}
VALUE_BYTES=400
PARTITIONS=128   # the embedded cluster keeps ~5 MiB per partition: 1M × 400 B needs ≥ 96

work=$(mktemp -d /tmp/xiecha-bench.XXXXXX)
cleanup() { [ -n "${ek_pid:-}" ] && kill "$ek_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# One embedded cluster in its own process, shared by the Swift and the C client.
"$BIN/xiecha" embedded-kafka --brokers 1 --topic bench-swift:$PARTITIONS --topic bench-c:$PARTITIONS \
    --bootstrap-file "$work/bootstrap" >"$work/ek.log" 2>&1 &
ek_pid=$!
for _ in $(seq 100); do [ -s "$work/bootstrap" ] && break; sleep 0.1; done
bootstrap=$(cat "$work/bootstrap")

swift_produce=$("$BIN/xiecha-bench" kafka produce "$bootstrap" bench-swift "$COUNT" $VALUE_BYTES)
c_produce=$(Benchmarks/bin/kafka_bench produce "$bootstrap" bench-c "$COUNT" $VALUE_BYTES)
swift_consume=$("$BIN/xiecha-bench" kafka consume "$bootstrap" bench-swift "$COUNT" $VALUE_BYTES 2>/dev/null)
c_consume=$(Benchmarks/bin/kafka_bench consume "$bootstrap" bench-c "$COUNT" $VALUE_BYTES 2>/dev/null)

ratio() { python3 -c "print(f'{$1/$2:.3f}')"; }
echo "BENCH kafka.produce.swift $swift_produce msg/s"
echo "BENCH kafka.produce.c $c_produce msg/s"
echo "BENCH kafka.produce.ratio $(ratio "$swift_produce" "$c_produce") swift/c"
echo "BENCH kafka.consume.swift $swift_consume msg/s"
echo "BENCH kafka.consume.c $c_consume msg/s"
echo "BENCH kafka.consume.ratio $(ratio "$swift_consume" "$c_consume") swift/c"
kill "$ek_pid"; wait "$ek_pid" 2>/dev/null || true; ek_pid=

# Intake: 1,000,000 residence permits through one intake worker (its own embedded cluster).
Benchmarks/intake.sh

# Crosscheck: 1,000,000 person events over 200,000 persons, SQLite and PostgreSQL; simulate on the same records.
Benchmarks/crosscheck.sh

# Notify: alert messages into the SQLite inbox, and webhook deliveries to a local receiver.
Benchmarks/notify.sh
