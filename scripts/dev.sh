#!/bin/bash
# `make dev`: the whole pipeline on the embedded default, as separate processes:
# embedded Kafka → sample feeds → five intake workers → crosscheck worker (SQLite under .xiecha/)
# → notify worker (the offices' inbox, .xiecha/inbox.sqlite) → `alerts tail --follow` in the foreground. Ctrl-C stops everything cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
X=.build/debug/xiecha
STATE=.xiecha
rm -rf "$STATE/logs" "$STATE/sample" "$STATE/bootstrap" "$STATE"/state.sqlite* "$STATE"/inbox.sqlite*
mkdir -p "$STATE/logs"
pids=()
cleanup() {
    trap - INT TERM EXIT
    echo; echo "stopping workers…"
    for p in "${pids[@]:1}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]:1}"; do wait "$p" 2>/dev/null || true; done
    kill -TERM "${pids[0]}" 2>/dev/null || true
    wait 2>/dev/null || true
    echo "stopped; logs are in $STATE/logs"
}
trap cleanup INT TERM EXIT

# Sample dates shifted so the sample (days 0–75) has happened and its 30-day deadlines are due.
base=$(date -d "-80 days" +%F)
python3 scripts/generate-sample.py --base "$base" --out "$STATE/sample" >/dev/null

# In its own session, so Ctrl-C (SIGINT to the terminal's process group) does not reach it: the
# workers drain and commit against it first, and `cleanup` stops it last.
setsid "$X" embedded-kafka --brokers 3 --topics --bootstrap-file "$STATE/bootstrap" >"$STATE/logs/embedded-kafka.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$STATE/bootstrap" ] && break; sleep 0.1; done
export XIECHA_BROKERS=$(cat "$STATE/bootstrap")

"$X" publish --topic ref.address-directory.v1 --file "$STATE/sample/ref.address-directory.v1.jsonl"
# The records with their event times (the simulate form: each line names its topic and time), so the
# workers see the days the sample happened on, as `xiecha simulate` does.
"$X" publish --file "$STATE/sample/simulate.jsonl"
# Intake reads the sample once through before the crosscheck worker starts, so that worker finds
# every person's events in its backlog: it applies a backlog in event time and fires due deadlines
# on the wall clock only once it is read (a person whose certificate were still on its way would
# otherwise get a certificate_missing that opens and closes). Certificates first: each person's
# events reach the crosscheck worker in this order, and a certificate that is already known closes
# nothing it would have to retract. Then the workers run live.
for feed in certificates residence-permits marriage-registrations business-licenses school-enrollments; do
    "$X" worker intake --feed "$feed" --stop-at-end >"$STATE/logs/intake-$feed.backlog.log" 2>&1
done
port=9301
for feed in residence-permits marriage-registrations business-licenses school-enrollments certificates; do
    "$X" worker intake --feed "$feed" --http-port $port >"$STATE/logs/intake-$feed.log" 2>&1 &
    pids+=($!)
    port=$((port + 1))
done
"$X" worker crosscheck --store "sqlite:$STATE/state.sqlite" --http-port $port >"$STATE/logs/crosscheck.log" 2>&1 &
pids+=($!)
port=$((port + 1))
"$X" worker notify --store "sqlite:$STATE/state.sqlite" --http-port $port >"$STATE/logs/notify.log" 2>&1 &
pids+=($!)

cat <<INFO

Xiecha is running on the embedded Kafka ($XIECHA_BROKERS).
  worker logs (JSON lines):   $STATE/logs/
  metrics and health:         http://127.0.0.1:9301-$port/metrics  (/health/live, /health/ready)
  state store:                $STATE/state.sqlite
  offices' inbox:             $STATE/inbox.sqlite  (xiecha webhooks failed|endpoints --store sqlite:$STATE/state.sqlite)
  dead letters:               kcat -b $XIECHA_BROKERS -C -t xiecha.dead-letters.v1 -f '%h\n'
Alerts appear below as the workers raise them (the first consumer-group joins take a few seconds).
Ctrl-C stops everything.

INFO
"$X" alerts tail --follow
