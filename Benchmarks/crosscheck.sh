#!/bin/bash
# Crosscheck benchmark: 1,000,000 person events over 200,000 persons through one crosscheck worker
# (--stop-at-end), with SQLite and with PostgreSQL, and `xiecha simulate` on the same records.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BENCH_BIN:-.build/release}
EVENTS=${BENCH_CROSSCHECK_EVENTS:-1000000}
PERSONS=${BENCH_CROSSCHECK_PERSONS:-200000}
work=$(mktemp -d /tmp/xiecha-cc-bench.XXXXXX)
pgdir="$work/pg"
cleanup() {
    [ -n "${ek_pid:-}" ] && kill "$ek_pid" 2>/dev/null
    scripts/postgres/stop-test-server.sh "$pgdir" >/dev/null 2>&1 || true
    wait 2>/dev/null; rm -rf "$work"
}
trap cleanup EXIT
python3 Benchmarks/gen_crosscheck.py person-events "$PERSONS" "$EVENTS" >"$work/events.jsonl"
python3 Benchmarks/gen_crosscheck.py simulate "$PERSONS" "$EVENTS" >"$work/simulate.jsonl"
# ~650 bytes per event: 160 partitions keep each under the embedded cluster's ~5 MiB.
"$BIN/xiecha" embedded-kafka --brokers 1 --topic xiecha.person-events.v1:160 --topic xiecha.alerts.v1:48 \
    --topic xiecha.dead-letters.v1:4 --bootstrap-file "$work/bootstrap" >"$work/ek.log" 2>&1 &
ek_pid=$!
for _ in $(seq 100); do [ -s "$work/bootstrap" ] && break; sleep 0.1; done
export XIECHA_BROKERS=$(cat "$work/bootstrap")
"$BIN/xiecha" publish --topic xiecha.person-events.v1 --file "$work/events.jsonl" 2>/dev/null

rate_of() {  # the recordsPerSecond of a worker's summary line
    python3 -c "import json,sys; print(round(json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])['recordsPerSecond']))" "$1"
}
run() {  # name store group
    /usr/bin/time -v "$BIN/xiecha" worker crosscheck --store "$2" --group "$3" --stop-at-end \
        >"$work/$1.out" 2>"$work/$1.err"
    rate=$(rate_of "$work/$1.out")
    rss=$(awk '/Maximum resident set size/ {printf "%.1f", $6/1024}' "$work/$1.err")
    echo "BENCH crosscheck.$1.events_per_s $rate events/s"
    echo "BENCH crosscheck.$1.rss_mib $rss MiB"
}
run sqlite "sqlite:$work/state.sqlite" bench-sqlite
# Bounds for reading the figures above: SQLite alone with the worker's statements on this machine
# (no Swift, no Kafka), and the worker with the in-memory store (no SQL at all).
python3 Benchmarks/sqlite_floor.py "$work/state.sqlite" "$EVENTS" "$PERSONS"
"$BIN/xiecha" worker crosscheck --store memory: --group bench-memory --stop-at-end >"$work/memory.out" 2>"$work/memory.err"
echo "BENCH crosscheck.memory.events_per_s $(rate_of "$work/memory.out") events/s"
pg=$(scripts/postgres/start-test-server.sh "$pgdir" $((20000 + RANDOM % 20000)))
run postgres "$pg" bench-postgres

start=$(date +%s.%N)
"$BIN/xiecha" simulate --input "$work/simulate.jsonl" --until 2026-01-01 >/dev/null 2>"$work/sim.err"
end=$(date +%s.%N)
lines=$(wc -l <"$work/simulate.jsonl")
echo "BENCH simulate.events_per_s $(python3 -c "print(round($lines/($end-$start)))") records/s"
