#!/bin/bash
# Intake throughput: COUNT (default 1,000,000) valid residence permits through one
# `xiecha worker intake --feed residence-permits --stop-at-end` process on the embedded cluster.
# Prints `BENCH intake.records_per_s V records/s` (the worker's own summary: first record to last)
# and `BENCH intake.rss_mib V MiB` (the worker's maximum resident set, from /usr/bin/time -v).
# Generating and publishing the input is not measured. Called at the end of Benchmarks/run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BENCH_BIN:-.build/release}
COUNT=${BENCH_INTAKE_COUNT:-1000000}
# The embedded cluster keeps only ~5 MiB per partition and silently drops older data:
# 1M permits of ~420 B need ≥ 96 partitions, 1M person events of ~650 B need ≥ 128.
PERMIT_PARTITIONS=128
EVENT_PARTITIONS=256

work=$(mktemp -d /tmp/xiecha-bench-intake.XXXXXX)
ek_pid=
cleanup() {
    if [ -n "$ek_pid" ]; then kill "$ek_pid" 2>/dev/null || true; wait "$ek_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "intake benchmark: $*" >&2; exit 1; }

# Topics are created explicitly (not --topics, whose feeds have 12 partitions).
"$BIN/xiecha" embedded-kafka --brokers 1 \
    --topic police.residence-permits.v1:$PERMIT_PARTITIONS \
    --topic xiecha.person-events.v1:$EVENT_PARTITIONS \
    --topic xiecha.dead-letters.v1:6 \
    --topic ref.address-directory.v1:6 \
    --bootstrap-file "$work/bootstrap" >"$work/embedded-kafka.log" 2>&1 &
ek_pid=$!
for _ in $(seq 300); do [ -s "$work/bootstrap" ] && break; sleep 0.1; done
[ -s "$work/bootstrap" ] || fail "embedded-kafka did not start: $(cat "$work/embedded-kafka.log")"
bootstrap=$(cat "$work/bootstrap")

# Input: 100 houses (5 of the records' houses are unknown), 200,000 people, COUNT permits.
python3 - "$COUNT" "$work" <<'PY'
import datetime, sys
count, work = int(sys.argv[1]), sys.argv[2]
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK = "10X98765432"
regions = ["510623", "412722", "342423", "522123", "430524", "421125"]
surnames, given1, given2 = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗", "建晓春秋明文海丽志国永玉金小红雪雨美佳思子俊嘉欣宇浩天梓雅安", "华平强军芳敏静燕伟杰磊洋勇艳娟涛超霞刚霖琳婷鹏辉彬娜莉瑶萱宁"
born = datetime.date(1966, 1, 1)
people = []
for i in range(200_000):
    d = born + datetime.timedelta(days=(i * 7919) % (38 * 365))
    region, seq = regions[i % 6], (i // 6) % 1000
    first17 = f"{region}{d:%Y%m%d}{seq:03d}"
    idn = first17 + CHECK[sum(int(c) * w for c, w in zip(first17, W)) % 11]
    name = surnames[i % 20] + given1[(i // 20) % 30] + given2[(i // 600) % 30]
    people.append(f'{{"idNumber":"{idn}","name":"{name}","sex":"{"M" if seq % 2 else "F"}","birthDate":"{d:%Y-%m-%d}","hukouRegion":"{region}"}}')
houses = []
with open(f"{work}/houses.jsonl", "w") as f:
    for n in range(100):
        s, c = n // 50 + 1, (n % 50) // 10 + 1
        hid, text = f"421125-00{s}-00{c}-{101 + n:04d}", f"清泉镇沿河路{n + 1}号"
        houses.append(f'{{"houseId":"{hid}","text":"{text}"}}')
        f.write(f'{{"houseId":"{hid}","text":"{text}","community":{{"code":"42112500{s}00{c}","name":"第{c}社区居委会"}},'
                f'"street":{{"code":"42112500{s}","name":"第{s}街道办事处"}}}}\n')
houses += [f'{{"houseId":"421125-009-009-{n:04d}","text":"清泉镇新村{n}号"}}' for n in range(1, 6)]
day0 = datetime.date(2026, 1, 1)
dates = [(day0 + datetime.timedelta(days=a), day0 + datetime.timedelta(days=a + 2), day0 + datetime.timedelta(days=a + 366)) for a in range(300)]
dates = [f'"arrivalDate":"{a:%Y-%m-%d}","issuedAt":"{b:%Y-%m-%d}","validUntil":"{c:%Y-%m-%d}"' for a, b, c in dates]
events = ["registered", "renewed", "cancelled"]
with open(f"{work}/permits.jsonl", "w") as f:
    chunk = []
    for k in range(count):
        chunk.append(f'{{"recordId":"rp-bench-{k:07d}","event":"{events[k % 3]}","permitNo":"42112520{k:08d}",'
                     f'"person":{people[(k * 7) % len(people)]},"address":{houses[k % len(houses)]},{dates[k % 300]},'
                     f'"office":"清泉派出所"}}\n')
        if len(chunk) == 50_000:
            f.write("".join(chunk))
            chunk = []
    f.write("".join(chunk))
PY

"$BIN/xiecha" publish --config /tmp/lz4.yaml --topic ref.address-directory.v1 --file "$work/houses.jsonl" --brokers "$bootstrap" 2>"$work/publish-houses.log" \
    || fail "publishing houses failed: $(cat "$work/publish-houses.log")"
"$BIN/xiecha" publish --config /tmp/lz4.yaml --topic police.residence-permits.v1 --file "$work/permits.jsonl" --brokers "$bootstrap" 2>"$work/publish-permits.log" \
    || fail "publishing permits failed: $(cat "$work/publish-permits.log")"

status=0
/usr/bin/time -v -o "$work/time.txt" "$BIN/xiecha" worker intake --config /tmp/lz4.yaml --feed residence-permits --brokers "$bootstrap" --stop-at-end \
    >"$work/summary.json" 2>"$work/worker.log" || status=$?
[ "$status" -eq 0 ] || fail "worker exited $status: $(tail -n 20 "$work/worker.log")"

python3 - "$COUNT" "$work/summary.json" "$work/time.txt" <<'PY'
import json, re, sys
count, summary_path, time_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
lines = [l for l in open(summary_path).read().splitlines() if l.strip()]
if len(lines) != 1:
    sys.exit(f"intake benchmark: expected one summary line, got {len(lines)}")
s = json.loads(lines[0])
if s["records"] != count or s["out"] != count or s["deadLetters"] != 0:
    sys.exit(f"intake benchmark: summary does not account for {count} valid records: {lines[0]}")
rss_kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(time_path).read()).group(1))
print(f"BENCH intake.records_per_s {s['recordsPerSecond']:.0f} records/s")
print(f"BENCH intake.rss_mib {rss_kib / 1024:.1f} MiB")
PY
