#!/usr/bin/env python3
"""Synthetic xiecha.alerts.v1 values for the notify benchmark: COUNT alert messages over alerts that each change 1-4
times (raised, closed, raised again, ...), every alert's changes in order, alerts interleaved, spread over 240
communities under 24 streets; masked subjects only, as the crosscheck publishes them.

  gen_alerts.py COUNT [SEED] > alerts.jsonl
"""
import json, random, sys


def main():
    count = int(sys.argv[1])
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    out = sys.stdout
    active = []
    n = 0
    written = 0
    day = 86_400_000
    base = 1_790_000_000_000

    def iso(ms):
        import datetime
        return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)

    while written < count:
        if not active or (len(active) < 2000 and rng.random() < 0.6):
            c = rng.randrange(240)
            street = "421125%03d" % (c // 10 + 1)
            alert = {
                "alertId": "%064x" % (n * 0x9E3779B97F4A7C15 % (1 << 256)),
                "audience": "community",
                "community": {"code": street + "%03d" % (c % 10 + 1), "name": "社区%d" % c},
                "evidence": [{"recordId": "rp-%d" % n, "topic": "police.residence-permits.v1"}],
                "reason": "暂住登记已满30天，未见有效婚育证明",
                "status": "open",
                "street": {"code": street, "name": "街道%d" % (c // 10)},
                "subject": {"maskedId": "5106**********%04d" % (n % 10000), "maskedName": "王*", "personRef": "%064x" % (n * 7919)},
                "type": ["certificate_missing", "certificate_expired", "certificate_expiring"][n % 3],
            }
            raised = base + rng.randrange(1000) * day // 10
            alert["raisedAt"], alert["dueBy"] = iso(raised), iso(raised + 7 * day)
            alert["_raised"] = raised
            n += 1
            changes = rng.randrange(4)
            if changes:
                active.append([alert, changes])
        else:
            k = rng.randrange(len(active))
            alert, left = active[k]
            alert = dict(alert)
            if alert["status"] == "open":
                alert["status"] = "closed"
                alert["closedAt"] = iso(alert["_raised"] + day)
                alert["closedBy"] = {"kind": "record", "recordId": "mc-%d" % written, "topic": "health.marriage-childbearing-certificates.v1"}
            else:
                alert["status"] = "open"
                alert.pop("closedAt", None)
                alert.pop("closedBy", None)
                alert["_raised"] += 30 * day
                alert["raisedAt"], alert["dueBy"] = iso(alert["_raised"]), iso(alert["_raised"] + 7 * day)
            left -= 1
            if left == 0:
                active.pop(k)
            else:
                active[k] = [alert, left]
        value = {k: v for k, v in sorted(alert.items()) if not k.startswith("_")}
        out.write(json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n")
        written += 1


if __name__ == "__main__":
    main()
