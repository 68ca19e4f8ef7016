#!/usr/bin/env python3
"""Synthetic load for the crosscheck benchmark: PERSONS migrant women, EVENTS events in all
(permit registered, certificate issued, licence issued, permit renewed, certificate renewed, …).

  gen_crosscheck.py person-events PERSONS EVENTS > events.jsonl    # xiecha.person-events.v1 values
  gen_crosscheck.py simulate PERSONS EVENTS > simulate.jsonl       # the same records as simulate input
"""
import hashlib, json, sys

W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
C = "10X98765432"

def idnum(i):
    d = 19850101 + 0
    day = i // 450
    y, rest = 1985 + day // 336, day % 336
    body = "510623%04d%02d%02d%03d" % (y, rest // 28 + 1, rest % 28 + 1, (i % 450) * 2 + 2)
    return body + C[sum(int(a) * w for a, w in zip(body, W)) % 11]

def main():
    mode, persons, events = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    per = max(1, events // persons)
    out = sys.stdout
    kinds = ["permit", "certificate", "license", "renewal", "certrenewal"]
    n = 0
    for k in range(per):
        kind = kinds[k % len(kinds)]
        for i in range(persons):
            if n >= events:
                return
            n += 1
            pid = idnum(i)
            comm = i % 240
            street = "421125%03d" % (comm // 10 + 1)
            house = "421125-%03d-%03d-0101" % (comm // 10 + 1, comm % 10 + 1)
            residence = {"houseId": house, "community": {"code": street + "%03d" % (comm % 10 + 1), "name": "社区%d" % comm},
                         "street": {"code": street, "name": "街道%d" % (comm // 10)}}
            person = {"idNumber": pid, "name": "测试", "sex": "F", "birthDate": "%s-%s-%s" % (pid[6:10], pid[10:12], pid[12:14]), "hukouRegion": "510623"}
            ts = "2025-%02d-%02dT%02d:00:00.000Z" % (k + 1, i % 28 + 1, i % 24)
            rid = "%s-%d-%d" % (kind, k, i)
            if kind in ("permit", "renewal"):
                topic, role = "police.residence-permits.v1", "permit_holder"
                fact = {"kind": "residencePermit", "event": "registered" if kind == "permit" else "renewed", "permitNo": "P%d" % i,
                        "arrivalDate": "2025-01-01", "issuedAt": "2025-01-02", "validUntil": "2035-01-01"}
                record = {"recordId": rid, "event": fact["event"], "permitNo": fact["permitNo"], "person": person,
                          "address": {"houseId": house, "text": "地址"}, "arrivalDate": "2025-01-01", "issuedAt": "2025-01-02",
                          "validUntil": "2035-01-01", "office": "派出所"}
            elif kind == "license":
                topic, role = "market.business-licenses.v1", "license_holder"
                fact = {"kind": "businessLicense", "event": "issued", "licenseNo": "L%d" % i, "issuedOn": "2025-02-01"}
                record = None
            else:
                topic, role = "health.marriage-childbearing-certificates.v1", "certificate_holder"
                fact = {"kind": "certificate", "event": "issued" if kind == "certificate" else "renewed", "certificateNo": "C%d" % i,
                        "maritalStatus": "unmarried", "children": [], "issuedOn": "2025-01-20", "validUntil": "2034-12-31"}
                record = {"recordId": rid, "event": fact["event"], "certificateNo": fact["certificateNo"], "holder": person,
                          "maritalStatus": "unmarried", "children": [], "issuedBy": "卫健局", "issuedOn": "2025-01-20", "validUntil": "2034-12-31"}
            if mode == "person-events":
                eid = hashlib.sha256(("%s|%s|%s|%s" % (topic, rid, role, pid)).encode()).hexdigest()[:32]
                ev = {"eventId": eid, "source": topic, "recordId": rid, "occurredAt": ts, "role": role, "person": person, "fact": fact}
                if kind in ("permit", "renewal", "license"):
                    ev["residence"] = residence
                out.write(json.dumps(ev, ensure_ascii=False, separators=(",", ":")) + "\n")
            elif record is not None:
                out.write(json.dumps({"topic": topic, "timestamp": ts, "value": record}, ensure_ascii=False, separators=(",", ":")) + "\n")
            else:
                # licences need an address record shape; use a permit renewal instead in simulate input
                rec = {"recordId": rid, "event": "renewed", "permitNo": "P%d" % i, "person": person, "address": {"houseId": house, "text": "地址"},
                       "arrivalDate": "2025-01-01", "issuedAt": "2025-01-02", "validUntil": "2035-01-01", "office": "派出所"}
                out.write(json.dumps({"topic": "police.residence-permits.v1", "timestamp": ts, "value": rec}, ensure_ascii=False, separators=(",", ":")) + "\n")

if __name__ == "__main__":
    main()
