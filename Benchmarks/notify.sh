#!/bin/bash
# Notify benchmarks on the embedded cluster (generating and publishing the input is not measured):
#   BENCH webhook.deliveries_per_s — WEBHOOK_MESSAGES (default 20,000) alert messages through a live
#     `xiecha worker notify` whose offices' webhooks (one per street, all to one local receiver,
#     Tests/webhooks/webhook_receiver.py) answer 200: deliveries received per second, first to last, as the
#     receiver timed them (it verifies every signature, so it is part of the figure).
#   BENCH notify.inbox.messages_per_s — MESSAGES (default 200,000) alert messages into a SQLite inbox by one
#     `xiecha worker notify --stop-at-end` with no webhooks (the worker's own summary: first record to last).
# Called at the end of Benchmarks/run.sh; runs alone too (after `swift build -c release --product xiecha`).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BENCH_BIN:-.build/release}
MESSAGES=${BENCH_NOTIFY_MESSAGES:-200000}
WEBHOOK_MESSAGES=${BENCH_WEBHOOK_MESSAGES:-20000}
# ~600-byte messages keyed by 240 communities: 64 partitions keep each well under the embedded cluster's ~5 MiB.
PARTITIONS=64

work=$(mktemp -d /tmp/xiecha-bench-notify.XXXXXX)
ek_pid= rcv_pid= worker_pid=
cleanup() {
    for p in $worker_pid $rcv_pid $ek_pid; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "notify benchmark: $*" >&2; exit 1; }

python3 Benchmarks/gen_alerts.py "$MESSAGES" 1 >"$work/alerts.jsonl"
head -n "$WEBHOOK_MESSAGES" "$work/alerts.jsonl" >"$work/first.jsonl"
tail -n +"$((WEBHOOK_MESSAGES + 1))" "$work/alerts.jsonl" >"$work/rest.jsonl"

"$BIN/xiecha" embedded-kafka --brokers 1 --topic xiecha.alerts.v1:$PARTITIONS --topic xiecha.dead-letters.v1:2 \
    --bootstrap-file "$work/bootstrap" >"$work/ek.log" 2>&1 &
ek_pid=$!
for _ in $(seq 300); do [ -s "$work/bootstrap" ] && break; sleep 0.1; done
[ -s "$work/bootstrap" ] || fail "embedded-kafka did not start: $(cat "$work/ek.log")"
export XIECHA_BROKERS=$(cat "$work/bootstrap")

# Webhooks: the first WEBHOOK_MESSAGES messages, every change to its street's webhook.
python3 Tests/webhooks/webhook_receiver.py --log "$work/requests.jsonl" --port-file "$work/port" \
    --route /hook=ok --secret /hook=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw >"$work/receiver.log" 2>&1 &
rcv_pid=$!
for _ in $(seq 300); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || fail "the receiver did not start: $(cat "$work/receiver.log")"
{
    echo "webhooks:"
    echo "  endpoints:"
    for s in $(seq 1 24); do
        printf '    - office: "421125%03d"\n      url: "http://127.0.0.1:%s/hook"\n      secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"\n' "$s" "$(cat "$work/port")"
    done
} >"$work/webhooks.yaml"
"$BIN/xiecha" publish --topic xiecha.alerts.v1 --file "$work/first.jsonl" 2>/dev/null
expected=$(python3 -c "
import json, sys
seen = set()
for line in open(sys.argv[1]):
    seen.add(line)
print(len(seen))" "$work/first.jsonl")
"$BIN/xiecha" worker notify --group bench-webhooks --inbox "sqlite:$work/hooks-inbox.sqlite" --config "$work/webhooks.yaml" \
    --log-level warning >"$work/hooks-worker.log" 2>&1 &
worker_pid=$!
for _ in $(seq 1200); do
    [ "$(wc -l <"$work/requests.jsonl" 2>/dev/null || echo 0)" -ge "$expected" ] && break
    kill -0 "$worker_pid" 2>/dev/null || fail "the notify worker stopped: $(tail -5 "$work/hooks-worker.log")"
    sleep 0.25
done
kill "$worker_pid"; wait "$worker_pid" 2>/dev/null || true; worker_pid=
python3 - "$work/requests.jsonl" "$expected" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
expected = int(sys.argv[2])
ok = [r for r in rows if r["status"] == 200]
if len({r["id"] for r in ok}) < expected or not all(r["valid"] for r in rows):
    sys.exit(f"notify benchmark: {len({r['id'] for r in ok})} of {expected} changes delivered, valid signatures: {all(r['valid'] for r in rows)}")
span = max(r["at"] for r in ok) - min(r["at"] for r in ok)
print(f"BENCH webhook.deliveries_per_s {round(len(ok) / span)} deliveries/s")
PY

# Inbox: every message on the topic (a new group from the beginning), no webhooks.
"$BIN/xiecha" publish --topic xiecha.alerts.v1 --file "$work/rest.jsonl" 2>/dev/null
"$BIN/xiecha" worker notify --group bench-inbox --inbox "sqlite:$work/inbox.sqlite" --stop-at-end \
    >"$work/inbox.out" 2>"$work/inbox.err" || fail "notify --stop-at-end failed: $(tail -5 "$work/inbox.err")"
python3 - "$work/inbox.out" "$MESSAGES" <<'PY'
import json, sys
s = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
if s["records"] != int(sys.argv[2]) or s["deadLetters"] != 0:
    sys.exit(f"notify benchmark: read {s['records']} of {sys.argv[2]} messages, {s['deadLetters']} dead letters")
print(f"BENCH notify.inbox.messages_per_s {round(s['recordsPerSecond'])} messages/s")
PY
