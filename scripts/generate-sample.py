#!/usr/bin/env python3
"""Generates Xiecha's sample feed (samples/README.md): a small, realistic, entirely synthetic
set of department records for `make dev`, demos and tests.

    scripts/generate-sample.py [--base 2026-09-01] [--seed 11643] [--out samples] [--check]

Deterministic: the same --base and --seed always write the same bytes. Every date and every
event time is relative to --base (day 0), so a caller can shift the whole sample in time, e.g.
so that the 30-day deadlines fall due during a demo. Records happen on days 0..75; every alert
the sample produces is raised by day 120, so `xiecha simulate --until <base + 122 days>` shows
them all (for the default base: --until 2027-01-01).

ID numbers are computed (GB 11643: region, birth date, sequence with odd = male, ISO 7064
MOD 11-2 check character); names are drawn from common characters. They describe no one.
--check validates every valid record against schemas/ (needs the `jsonschema` package).
"""

import argparse
import datetime as dt
import json
import os
import random
import sys

TOPICS = {
    "permits": "police.residence-permits.v1",
    "marriages": "civil.marriage-registrations.v1",
    "licenses": "market.business-licenses.v1",
    "enrollments": "edu.school-enrollments.v1",
    "certificates": "health.marriage-childbearing-certificates.v1",
    "directory": "ref.address-directory.v1",
}
LOCAL_REGION = "421125"  # 湖北省黄冈市浠水县
# Hukou regions of migrants: (region code, the family-planning office that issues certificates there).
MIGRANT_REGIONS = [
    ("510623", "四川省中江县卫生健康局"),
    ("511321", "四川省南部县卫生健康局"),
    ("412722", "河南省商水县卫生健康委员会"),
    ("420222", "湖北省阳新县卫生健康局"),
    ("362330", "江西省鄱阳县卫生健康委员会"),
    ("342422", "安徽省寿县卫生健康委员会"),
    ("500235", "重庆市云阳县卫生健康委员会"),
    ("431021", "湖南省桂阳县卫生健康局"),
]
LOCAL_CERT_OFFICE = "浠水县卫生健康局"

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范廖石贾韦夏付方邹熊孟秦邱侯江尹黎易常武乔贺赖龚文")
FEMALE_GIVEN = ["芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "燕", "玲", "桂英", "秀英", "秀兰", "玉兰", "红梅",
                "小红", "晓燕", "春梅", "海燕", "雪梅", "丽娟", "慧敏", "佳怡", "梦瑶", "雨欣", "婷婷", "思琪", "欣怡", "翠花", "凤英"]
MALE_GIVEN = ["伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "建华", "建国", "志强", "国庆", "海波",
              "小龙", "俊杰", "浩然", "宇航", "子豪", "文博", "天佑", "家乐", "永福", "德胜", "春生", "金宝", "长江", "红旗", "卫东"]
CHILD_GIVEN_F = ["雨涵", "梓萱", "诗琪", "可馨", "一诺", "欣妍", "语桐", "若曦"]
CHILD_GIVEN_M = ["浩宇", "子轩", "宇轩", "梓睿", "俊熙", "一鸣", "博文", "嘉懿"]

# The address directory: 2 street offices, 3 communities, each community along 2 roads.
STREETS = [
    {"code": "421125001", "name": "清泉街道办事处"},
    {"code": "421125002", "name": "兰溪街道办事处"},
]
COMMUNITIES = [
    {"code": "421125001003", "name": "沿河社区居委会", "street": 0, "seg": ("001", "003"), "roads": ["沿河路", "望城路"]},
    {"code": "421125001004", "name": "河东社区居委会", "street": 0, "seg": ("001", "004"), "roads": ["河东大道", "新华街"]},
    {"code": "421125002001", "name": "兰溪社区居委会", "street": 1, "seg": ("002", "001"), "roads": ["兰溪路", "江滨路"]},
]
TOWN = {"421125001": "清泉镇", "421125002": "兰溪镇"}
SCHOOLS = [
    {"code": "2142112501", "name": "清泉镇中心幼儿园", "level": "kindergarten"},
    {"code": "2142112502", "name": "清泉镇第一小学", "level": "primary"},
    {"code": "2142112503", "name": "浠水县实验中学", "level": "junior"},
    {"code": "2142112504", "name": "兰溪镇中心小学", "level": "primary"},
]
POLICE = {"421125001": "浠水县公安局清泉派出所", "421125002": "浠水县公安局兰溪派出所"}
CIVIL_OFFICE = "浠水县民政局婚姻登记处"
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def id_check(first17):
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    s = sum(int(c) * w for c, w in zip(first17, weights))
    return "10X98765432"[s % 11]


def credit_code(first17):
    s = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS))
    return first17 + CREDIT_ALPHABET[(31 - s % 31) % 31]


def iso(d):
    return d.isoformat()


class Sample:
    def __init__(self, base, seed):
        self.base = base
        self.rng = random.Random(seed)
        self.used_ids = set()
        self.used_names = set()
        self.counters = {}
        self.records = []  # (timestamp, order, topic, value-or-raw-text, valid)
        self.houses = []
        self.unknown_houses = []
        self.order = 0

    # -- helpers -------------------------------------------------------------------------------
    def day(self, n):
        return self.base + dt.timedelta(days=n)

    def stamp(self, d, minute=None):
        """An event time on calendar day `d`, office hours, in +08:00."""
        if minute is None:
            minute = self.rng.randrange(9 * 60, 17 * 60)
        return f"{iso(d)}T{minute // 60:02d}:{minute % 60:02d}:{self.rng.randrange(60):02d}+08:00"

    def next_no(self, kind):
        self.counters[kind] = self.counters.get(kind, 0) + 1
        return self.counters[kind]

    def record_id(self, prefix):
        return f"{prefix}-{self.base.year}-{self.next_no(prefix):06d}"

    def birth_for_age(self, age):
        """A birth date such that the person is `age` whole years old on day 0 and has no
        birthday during the sample's first 130 days."""
        anniversary = self.years_before(self.base, age)
        return anniversary - dt.timedelta(days=self.rng.randrange(131, 231))

    @staticmethod
    def years_before(d, years):
        try:
            return d.replace(year=d.year - years)
        except ValueError:  # 29 February
            return d.replace(year=d.year - years, day=28)

    def person(self, sex, age=None, region=None, birth=None, name=None, hukou=True):
        region = region or self.rng.choice(MIGRANT_REGIONS)[0]
        if birth is None:
            birth = self.birth_for_age(age)
        while True:
            seq = self.rng.randrange(1, 999)
            if (seq % 2 == 1) != (sex == "M"):
                seq += 1 if seq < 998 else -1
            first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
            idn = first17 + id_check(first17)
            if idn not in self.used_ids:
                self.used_ids.add(idn)
                break
        if name is None:
            while True:
                given = self.rng.choice(FEMALE_GIVEN if sex == "F" else MALE_GIVEN)
                name = self.rng.choice(SURNAMES) + given
                if name not in self.used_names:
                    self.used_names.add(name)
                    break
        p = {"idNumber": idn, "name": name, "sex": sex, "birthDate": iso(birth)}
        if hukou:
            p["hukouRegion"] = region
        return p

    def child(self, mother, father_surname=None, birth=None, sex=None):
        sex = sex or self.rng.choice("FM")
        region = mother.get("hukouRegion", mother["idNumber"][:6])
        surname = father_surname or mother["name"][0]
        while True:
            name = surname + self.rng.choice(CHILD_GIVEN_F if sex == "F" else CHILD_GIVEN_M)
            if name not in self.used_names:
                self.used_names.add(name)
                break
        return self.person(sex, region=region, birth=birth, name=name)

    def add(self, key, d, value, valid=True, minute=None):
        self.order += 1
        self.records.append((self.stamp(d, minute), self.order, TOPICS[key], value, valid))
        return value

    # -- directory -----------------------------------------------------------------------------
    def build_directory(self):
        for c in COMMUNITIES:
            street = STREETS[c["street"]]
            town = TOWN[street["code"]]
            for r, road in enumerate(c["roads"]):
                for h in range(5):
                    building = 8 + 2 * h + 10 * r
                    unit = 1 + h % 2
                    room = (1 + h % 6) * 100 + 1 + (h % 2)
                    house_id = f"{LOCAL_REGION}-{c['seg'][0]}-{c['seg'][1]}-{r + 1}{h + 1:03d}"
                    self.houses.append({
                        "houseId": house_id,
                        "text": f"{town}{road}{building}号{unit}单元{room}",
                        "community": {"code": c["code"], "name": c["name"]},
                        "street": {"code": street["code"], "name": street["name"]},
                    })
        # Houses the directory does not know yet (a new building): alerts go to `unassigned`.
        for n in range(3):
            self.unknown_houses.append({"houseId": f"{LOCAL_REGION}-001-009-{n + 1:04d}", "text": f"清泉镇新村{n + 1}号"})

    def house(self, community=None):
        pool = self.houses if community is None else [h for h in self.houses if h["community"]["code"] == COMMUNITIES[community]["code"]]
        return self.rng.choice(pool)

    @staticmethod
    def address(h):
        return {"houseId": h["houseId"], "text": h["text"]}

    # -- record builders -----------------------------------------------------------------------
    def permit(self, p, house, arrival, issued=None, event="registered", permit_no=None, valid_days=365, rec_day=None):
        issued = issued if issued is not None else arrival + self.rng.randrange(1, 4)
        street_code = house["houseId"][:6] + house["houseId"][7:10]
        if permit_no is None:
            b = self.day(issued)
            permit_no = f"{LOCAL_REGION}{b:%Y%m}{self.next_no('permitNo'):04d}"
        value = {
            "recordId": self.record_id("rp"), "event": event, "permitNo": permit_no, "person": p,
            "address": self.address(house), "arrivalDate": iso(self.day(arrival)), "issuedAt": iso(self.day(issued)),
            "validUntil": iso(self.day(issued + valid_days - 1)), "office": POLICE.get(street_code, POLICE["421125001"]),
        }
        self.add("permits", self.day(rec_day if rec_day is not None else issued), value)
        return value

    def certificate(self, p, status, day, event="issued", issued=None, valid_until=None, children=(), spouse=None,
                    cert_no=None, verified=None):
        """A certificate record on `day`. `issued`/`valid_until` are day offsets."""
        issued = day if issued is None else issued
        valid_until = issued + 3 * 365 - 1 if valid_until is None else valid_until
        region = p.get("hukouRegion", p["idNumber"][:6])
        office = dict(MIGRANT_REGIONS).get(region, LOCAL_CERT_OFFICE)
        if cert_no is None:
            cert_no = f"HB-{region}-{self.day(issued).year}-{self.next_no('certNo'):04d}"
        value = {"recordId": self.record_id("mc"), "event": event, "certificateNo": cert_no, "holder": p,
                 "maritalStatus": status}
        if spouse is not None:
            value["spouse"] = spouse
        value["children"] = [
            ({"birthDate": c["birthDate"], "sex": c["sex"], "idNumber": c["idNumber"]} if with_id
             else {"birthDate": c["birthDate"], "sex": c["sex"]})
            for c, with_id in children
        ]
        value["issuedBy"] = office
        value["issuedOn"] = iso(self.day(issued))
        value["validUntil"] = iso(self.day(valid_until))
        if event == "verified":
            value["verifiedBy"] = "浠水县卫生健康局流动人口服务站"
            value["verifiedOn"] = iso(self.day(verified if verified is not None else day))
        self.add("certificates", self.day(day), value)
        return value

    def marriage(self, a, b, day, event="marriage", cert_no=None):
        prefix = "J" if event == "marriage" else "L"
        cert_no = cert_no or f"{prefix}{LOCAL_REGION}-{self.day(day).year}-{self.next_no('marriageNo'):06d}"
        value = {"recordId": self.record_id("mr"), "event": event, "certificateNo": cert_no, "parties": [a, b],
                 "registeredOn": iso(self.day(day)), "office": CIVIL_OFFICE}
        self.add("marriages", self.day(day), value)
        return value

    def license(self, p, house, day, event="issued", license_no=None, business=None):
        if license_no is None:
            body = "".join(self.rng.choice(CREDIT_ALPHABET) for _ in range(7))
            license_no = credit_code(f"92{LOCAL_REGION}MA{body}")
        trade = self.rng.choice(["小吃店", "便利店", "理发店", "五金店", "服装店", "水果店", "早餐店", "裁缝店"])
        value = {"recordId": self.record_id("bl"), "event": event, "licenseNo": license_no, "holder": p,
                 "businessName": business or f"浠水县{house['text'][:3]}{p['name'][0]}记{trade}",
                 "address": self.address(house), "issuedOn": iso(self.day(day))}
        self.add("licenses", self.day(day), value)
        return value

    def enrollment(self, child, guardians, house, day, school=None, event="enrolled"):
        if school is None:
            age = (self.day(day) - dt.date.fromisoformat(child["birthDate"])).days // 365
            level = "kindergarten" if age < 6 else "primary" if age < 12 else "junior"
            school = self.rng.choice([s for s in SCHOOLS if s["level"] == level])
        value = {"recordId": self.record_id("se"), "event": event, "child": child,
                 "guardians": [dict(g, relation=rel) for g, rel in guardians], "school": dict(school),
                 "address": self.address(house), "enrolledOn": iso(self.day(day))}
        self.add("enrollments", self.day(day), value)
        return value

    # -- the story -----------------------------------------------------------------------------
    def build(self):
        r = self.rng
        self.build_directory()
        F, M = "F", "M"

        def woman(age=None):
            return self.person(F, age=age or r.randrange(20, 46))

        def man(age=None, region=None):
            return self.person(M, age=age or r.randrange(22, 55), region=region)

        def old_cert(p, on, status="unmarried", **kw):
            """A certificate issued at home ~1-2 years ago, verified here on day `on`."""
            issued = kw.pop("issued", -r.randrange(200, 700))
            return self.certificate(p, status, on, event="verified", issued=issued, **kw)

        # 1. In-scope migrant women who never bring a certificate: certificate_missing on day arrival+30.
        for _ in range(8):
            self.permit(woman(), self.house(), r.randrange(0, 21))
        # 2. ... who bring one in time: nothing.
        for _ in range(14):
            p, a = woman(), r.randrange(0, 30)
            self.permit(p, self.house(), a)
            old_cert(p, a + r.randrange(3, 26), status=r.choice(["unmarried", "unmarried", "married", "divorced"]))
        # 3. The certificate reaches Xiecha before the permit (out of order): nothing.
        for _ in range(3):
            p, a = woman(), r.randrange(0, 20)
            old_cert(p, a)
            self.permit(p, self.house(), a, issued=a + r.randrange(4, 9))
        # 4. The certificate comes late: certificate_missing opens on day +30, closes when it arrives.
        for _ in range(3):
            p, a = woman(), r.randrange(0, 15)
            self.permit(p, self.house(), a)
            old_cert(p, a + r.randrange(36, 50))
        # 5. Expiring, renewed in time: certificate_expiring opens 30 days before, closes on renewal.
        for k in range(2):
            p, a = woman(), r.randrange(0, 8)
            self.permit(p, self.house(), a)
            c = old_cert(p, a + 5, valid_until=44 + k * 6, issued=44 + k * 6 - 3 * 365 + 1)
            self.certificate(p, "unmarried", 30 + k * 6, event="renewed", cert_no=c["certificateNo"])
        # 6. Expiring, then expired (one of them renewed later: certificate_expired closes).
        for k in range(3):
            p, a = woman(), r.randrange(0, 8)
            self.permit(p, self.house(), a)
            c = old_cert(p, a + 4, valid_until=36 + 5 * k, issued=36 + 5 * k - 3 * 365 + 1)
            if k == 0:
                self.certificate(p, "unmarried", 62, event="renewed", cert_no=c["certificateNo"])
        # 7. A certificate revoked by the issuing office: certificate_missing; one gets a new one.
        for k in range(2):
            p, a = woman(), r.randrange(0, 6)
            self.permit(p, self.house(), a)
            c = old_cert(p, a + 3)
            revoked = dict(c, recordId=self.record_id("mc"), event="revoked")
            revoked.pop("verifiedBy", None)
            revoked.pop("verifiedOn", None)
            self.add("certificates", self.day(40 + k), revoked)
            if k == 0:
                self.certificate(p, "unmarried", 55)
        # 8. Marriage registered after an "unmarried" certificate: marital_status_changed;
        #    one gets a new "married" certificate (closes it).
        for k in range(3):
            p, h, a = woman(age=r.randrange(22, 32)), self.house(), r.randrange(0, 10)
            husband = man(age=r.randrange(24, 36), region=p["hukouRegion"])
            self.permit(p, h, a)
            self.permit(husband, h, a)
            old_cert(p, a + r.randrange(3, 15))
            self.marriage(husband, p, 40 + 3 * k)
            if k == 0:
                self.certificate(p, "married", 58, spouse=husband)
        # 9. Divorce after a "married" certificate: marital_status_changed.
        p, h = woman(age=36), self.house()
        husband = man(age=39, region=p["hukouRegion"])
        self.permit(p, h, 2)
        old_cert(p, 6, status="married", spouse=husband)
        self.marriage(husband, p, 45, event="divorce")
        # 10. Married before the certificate was issued (no contradiction): nothing.
        p, h = woman(age=25), self.house()
        husband = man(age=27, region=p["hukouRegion"])
        self.permit(p, h, 1)
        self.marriage(husband, p, 8)
        self.certificate(p, "married", 20, spouse=husband)
        # 11. Children enrolled: one not on the mother's certificate (child_not_on_certificate), one
        #     on it by ID, one by birth date + sex; one missing child is added by a new certificate,
        #     one enrolment is withdrawn (closes its alert).
        for k in range(6):
            mother, h, a = woman(age=r.randrange(28, 40)), self.house(), r.randrange(0, 10)
            father = man(age=r.randrange(30, 44), region=mother["hukouRegion"])
            birth = self.day(-r.randrange(3 * 365 + 200, 11 * 365))
            kid = self.child(mother, father["name"][0], birth=birth)
            listed = [] if k in (0, 3, 4, 5) else [(kid, k == 1)]
            self.permit(mother, h, a)
            self.permit(father, h, a)
            c = old_cert(mother, a + r.randrange(2, 12), status="married", spouse=father, children=listed,
                         issued=-r.randrange(30, 300))
            enrolled = self.enrollment(kid, [(mother, "mother"), (father, "father")], h, 20 + k)
            if k == 3:
                self.certificate(mother, "married", 50, spouse=father, children=[(kid, True)])
            if k == 4:
                self.enrollment(kid, [(mother, "mother"), (father, "father")], h, 52, event="withdrawn",
                                school=enrolled["school"])
        # 12. Enrolments of local families and of children whose mother is out of scope: nothing.
        for _ in range(4):
            mother = self.person(F, age=r.randrange(28, 40), region=LOCAL_REGION)
            father = self.person(M, age=r.randrange(30, 44), region=LOCAL_REGION)
            kid = self.child(mother, father["name"][0], birth=self.day(-r.randrange(4 * 365, 12 * 365)))
            self.enrollment(kid, [(mother, "mother"), (father, "father")], self.house(), r.randrange(15, 25))
        # ... and migrant families whose certificates list their children: nothing.
        for k in range(5):
            mother, h, a = woman(age=r.randrange(27, 42)), self.house(), r.randrange(0, 20)
            father = man(age=r.randrange(29, 45), region=mother["hukouRegion"])
            kids = [self.child(mother, father["name"][0], birth=self.day(-r.randrange(3 * 365 + 200, 13 * 365)))
                    for _ in range(1 + k % 2)]
            self.permit(mother, h, a)
            old_cert(mother, a + r.randrange(2, 20), status="married", spouse=father,
                     children=[(kid, n % 2 == 0) for n, kid in enumerate(kids)])
            for kid in kids:
                self.enrollment(kid, [(mother, "mother"), (father, "father")], h, a + r.randrange(5, 30))
        # Couples who marry and then bring a matching certificate: nothing.
        for _ in range(3):
            p, h, a = woman(age=r.randrange(22, 30)), self.house(), r.randrange(0, 10)
            husband = man(age=r.randrange(23, 33), region=p["hukouRegion"])
            self.permit(p, h, a)
            self.marriage(husband, p, a + 3)
            self.certificate(p, "married", a + 12, spouse=husband)
        # 13. Moves across communities: open alerts follow her (re-published with the new
        #     community), moved_in / moved_out for the two offices.
        for k in range(3):
            p, a = woman(), r.randrange(0, 6)
            old_house = self.house(community=0)
            new_house = self.house(community=2 if k != 1 else 1)
            old = self.permit(p, old_house, a)
            if k == 2:
                old_cert(p, a + 10)
            move_day = 50 + 4 * k
            # A new permit for the new house (same arrival in the jurisdiction), the old one cancelled.
            self.permit(p, new_house, a, issued=move_day)
            cancel = dict(old, recordId=self.record_id("rp"), event="cancelled")
            self.add("permits", self.day(move_day + 1), cancel)
        # A move within one community: no moved_* alerts.
        p = woman()
        h1, h2 = [h for h in self.houses if h["community"]["code"] == COMMUNITIES[1]["code"]][:2]
        old = self.permit(p, h1, 3)
        old_cert(p, 9)
        self.permit(p, h2, 3, issued=48)
        self.add("permits", self.day(49), dict(old, recordId=self.record_id("rp"), event="cancelled"))
        # 14. Two departments spell her name differently: record_conflict (street office).
        for _ in range(2):
            p, a = woman(), r.randrange(0, 10)
            self.permit(p, self.house(), a)
            other = dict(p)
            given = p["name"][1:]
            other["name"] = p["name"][0] + ("秀云" if given != "秀云" else "秀芸")
            old_cert(other, a + 7)
        # ... while full-width spaces and width differences are no conflict.
        p, a = woman(), 4
        self.permit(p, self.house(), a)
        old_cert(dict(p, name="\u3000" + p["name"][0] + "\u3000" + p["name"][1:] + " "), a + 6)
        # 15. Houses the directory does not know: alerts go to `unassigned`.
        for n in range(3):
            p = woman()
            self.permit(p, self.unknown_houses[n], r.randrange(0, 15))
        # 16. Business licences: a migrant woman trading without a permit or certificate
        #     (certificate_missing from the licence date); men and local women (nothing).
        for _ in range(2):
            p = woman()
            self.license(p, self.house(), r.randrange(0, 20))
        for _ in range(9):
            p = man()
            h = self.house()
            self.permit(p, h, r.randrange(0, 30))
            self.license(p, h, r.randrange(5, 45))
        for _ in range(3):
            p = self.person(F, age=r.randrange(25, 50), region=LOCAL_REGION)
            self.license(p, self.house(), r.randrange(0, 40))
        lic_woman = woman()
        h = self.house()
        self.permit(lic_woman, h, 3)
        old_cert(lic_woman, 10)
        lic = self.license(lic_woman, h, 12)
        self.license(lic_woman, h, 33, event="changed", license_no=lic["licenseNo"], business=lic["businessName"])
        # 17. Out of scope: local women, men, women over 49 or under 18: nothing.
        for _ in range(10):
            self.permit(self.person(F, age=r.randrange(20, 46), region=LOCAL_REGION), self.house(), r.randrange(0, 40))
        for _ in range(26):
            self.permit(man(), self.house(), r.randrange(0, 45))
        for age in (51, 55, 58, 63, 16, 17):
            self.permit(woman(age=age), self.house(), r.randrange(0, 30))
        # She turns 50 on day 60: her open certificate_missing closes by the clock.
        p = self.person(F, birth=self.years_before(self.day(60), 50))
        self.permit(p, self.house(), 0)
        # 18. Permits cancelled before the 30 days are up (she left): nothing.
        for _ in range(2):
            p, a = woman(), r.randrange(0, 10)
            old = self.permit(p, self.house(), a)
            self.add("permits", self.day(a + 15), dict(old, recordId=self.record_id("rp"), event="cancelled"))
        # 19. Permits renewed a year on (nothing new) and certificates verified again.
        for _ in range(6):
            p, a = woman(), r.randrange(0, 10)
            old = self.permit(p, self.house(), a, valid_days=r.randrange(40, 70))
            c = old_cert(p, a + 5)
            renewed = dict(old, recordId=self.record_id("rp"), event="renewed",
                           validUntil=iso(self.day(a + 400)))
            self.add("permits", self.day(a + 35), renewed)
            again = dict(c, recordId=self.record_id("mc"), verifiedOn=iso(self.day(a + 36)))
            self.add("certificates", self.day(a + 36), again)
        # 20. Marriages between local residents and migrant men (out of scope).
        for _ in range(6):
            self.marriage(man(), self.person(F, age=r.randrange(22, 35), region=LOCAL_REGION), r.randrange(0, 70))

        self.add_invalid()

    def add_invalid(self):
        """About 5 % dead letters, one of each kind per feed where it fits."""
        r = self.rng
        valid = [rec for rec in self.records if rec[4]]

        def pick(topic):
            return r.choice([rec for rec in valid if rec[2] == TOPICS[topic]])

        def bad(topic, value, d=None):
            ts = pick(topic)[0] if d is None else self.stamp(self.day(d))
            self.order += 1
            self.records.append((ts, self.order, TOPICS[topic], value, False))

        def clone(topic):
            src = pick(topic)
            v = json.loads(json.dumps(src[3]))
            v["recordId"] = self.record_id({"permits": "rp", "marriages": "mr", "licenses": "bl",
                                            "enrollments": "se", "certificates": "mc"}[topic])
            return v

        def break_checksum(p):
            last = p["idNumber"][-1]
            p["idNumber"] = p["idNumber"][:-1] + ("0" if last != "0" else "1")

        # bad ID checksum
        v = clone("permits"); break_checksum(v["person"]); bad("permits", v)
        v = clone("marriages"); break_checksum(v["parties"][1]); bad("marriages", v)
        v = clone("certificates"); break_checksum(v["holder"]); bad("certificates", v)
        # missing required field
        v = clone("certificates"); del v["validUntil"]; bad("certificates", v)
        v = clone("licenses"); del v["holder"]["name"]; bad("licenses", v)
        v = clone("enrollments"); del v["enrolledOn"]; bad("enrollments", v)
        # impossible dates
        v = clone("permits"); v["validUntil"] = f"{self.base.year + 1}-02-30"; bad("permits", v)
        v = clone("marriages"); v["registeredOn"] = f"{self.base.year}-13-02"; bad("marriages", v)
        # unknown enum values
        v = clone("enrollments"); v["school"]["level"] = "university"; bad("enrollments", v)
        v = clone("permits"); v["event"] = "transferred"; bad("permits", v)
        v = clone("certificates"); v["maritalStatus"] = "separated"; bad("certificates", v)
        # not JSON: a truncated export line
        v = clone("permits")
        text = json.dumps(v, ensure_ascii=False, separators=(",", ":"))
        bad("permits", text[: text.index('"person"')] + '"person":{"idNumber":')
        v = clone("licenses")
        text = json.dumps(v, ensure_ascii=False, separators=(",", ":"))
        bad("licenses", text[: len(text) // 3])
        # a licence number that is not 18 characters
        v = clone("licenses"); v["licenseNo"] = v["licenseNo"][:-1]; bad("licenses", v)

    # -- output --------------------------------------------------------------------------------
    def write(self, out):
        os.makedirs(out, exist_ok=True)
        records = sorted(self.records, key=lambda rec: (rec[0], rec[1]))

        def text(value):
            return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))

        counts = {}
        for key, topic in TOPICS.items():
            path = os.path.join(out, f"{topic}.jsonl")
            with open(path, "w", encoding="utf-8", newline="\n") as f:
                if key == "directory":
                    for h in self.houses:
                        f.write(text(h) + "\n")
                    counts[topic] = (len(self.houses), 0)
                    continue
                n = bad = 0
                for ts, _, t, value, valid in records:
                    if t != topic:
                        continue
                    f.write(text(value) + "\n")
                    n += 1
                    bad += 0 if valid else 1
                counts[topic] = (n, bad)
        directory_time = f"{iso(self.base)}T08:00:00+08:00"
        with open(os.path.join(out, "simulate.jsonl"), "w", encoding="utf-8", newline="\n") as f:
            for h in self.houses:
                line = {"topic": TOPICS["directory"], "timestamp": directory_time, "value": h}
                f.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
            for ts, _, topic, value, _ in records:
                line = {"topic": topic, "timestamp": ts, "value": value}
                f.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
        return counts, records

    def check(self, records):
        try:
            from jsonschema import Draft202012Validator as V
        except ImportError:
            sys.exit("--check needs the jsonschema package")
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "schemas")
        validators = {t: V(json.load(open(os.path.join(root, f"{t}.schema.json"))), format_checker=V.FORMAT_CHECKER)
                      for t in TOPICS.values()}
        problems = 0
        for h in self.houses:
            for e in validators[TOPICS["directory"]].iter_errors(h):
                problems += 1
                print(f"directory {h['houseId']}: {e.message}", file=sys.stderr)
        for _, _, topic, value, valid in records:
            if not valid:
                continue
            for e in validators[topic].iter_errors(value):
                problems += 1
                print(f"{topic} {value.get('recordId')}: {'/'.join(map(str, e.absolute_path))} {e.message}", file=sys.stderr)
        if problems:
            sys.exit(f"{problems} schema problems")
        print("every valid record matches its schema", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", default="2026-09-01", help="day 0 of the sample, YYYY-MM-DD (default 2026-09-01)")
    ap.add_argument("--seed", type=int, default=11643, help="random seed (default 11643)")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "samples"),
                    help="output folder (default samples/)")
    ap.add_argument("--check", action="store_true", help="validate valid records against schemas/ (needs jsonschema)")
    args = ap.parse_args()
    try:
        base = dt.date.fromisoformat(args.base)
    except ValueError:
        sys.exit(f"--base takes a date as YYYY-MM-DD, got {args.base!r}")
    sample = Sample(base, args.seed)
    sample.build()
    counts, records = sample.write(args.out)
    if args.check:
        sample.check(records)
    total = sum(n for n, _ in counts.values())
    bad = sum(b for _, b in counts.values())
    for topic, (n, b) in counts.items():
        print(f"{topic}: {n} records ({b} invalid)", file=sys.stderr)
    print(f"total: {total} records, {bad} invalid; until: {iso(base + dt.timedelta(days=122))}", file=sys.stderr)


if __name__ == "__main__":
    main()
