/// One rule's verdict at one instant: an alert that should be open, before timeline bookkeeping
/// (`raisedAt`, `dueBy`) is added.
struct RaisedAlert {
    var type: AlertType
    var subjectKey: String
    var community: CommunityRef
    var street: StreetRef?
    var reason: String
    var evidence: [AlertEvidence]
}

/// Something that keeps her "present" in the jurisdiction and starts the certificate clock.
private struct Anchor {
    var start: LocalDate
    var label: String
    var evidence: AlertEvidence
}

extension CrosscheckEngine {
    /// Evaluates every rule at `instant` on the facts folded so far, merges the verdicts into the
    /// timeline's alerts and appends each change to `changes`.
    func evaluate(
        _ s: inout PersonState, at instant: Timestamp, changes: inout [AlertMessage]
    ) {
        guard let person = s.facts.person else { return }
        let c = configuration
        let day = c.localDate(instant)
        let current = s.facts.currentResidence
        let community = current?.residence.community ?? .unassigned
        let street = community.isUnassigned ? nil : current?.residence.street
        var raised: [RaisedAlert] = []
        let age = person.birthDate.age(on: day)
        let inScope =
            person.sex == c.sexInScope && (c.minimumAge...c.maximumAge).contains(age)
            && !c.isLocal(hukouRegion: person.hukouRegion)

        if inScope {
            certificateRules(s.facts, day: day, community: community, street: street, into: &raised)
        }

        // moved_in / moved_out: her permit changed house, into another community (judged on the
        // day of the move). Only permits count (DESIGN.md: "an in-scope person's permit changes
        // house"): a permit renewed at its own house is no move, even if the directory placed that
        // house elsewhere meanwhile or another permit was the latest; without a live permit the
        // last permit house is kept, so a new permit elsewhere is still a move.
        let permit = s.facts.permitResidence
        let newMark = permit.map { ResidenceMark(residence: $0.residence, evidence: $0.evidence) } ?? s.lastResidence
        if inScope, let old = s.lastResidence, let new = newMark, permit?.houseChanged == true,
            old.residence.houseId != new.residence.houseId,
            old.residence.community.code != new.residence.community.code
        {
            let moveKey = "\(new.evidence.topic.rawValue)|\(new.evidence.recordId)|\(old.residence.houseId)>\(new.residence.houseId)"
            let evidence = old.evidence == new.evidence ? [new.evidence] : [old.evidence, new.evidence].sorted()
            let oldStreet = old.residence.community.isUnassigned ? nil : old.residence.street
            let newStreet = new.residence.community.isUnassigned ? nil : new.residence.street
            raised.append(
                RaisedAlert(
                    type: .movedIn, subjectKey: moveKey, community: new.residence.community, street: newStreet,
                    reason: "从\(old.residence.community.name)迁入本社区（\(day)），请接续做好流动人口婚育服务管理",
                    evidence: evidence))
            raised.append(
                RaisedAlert(
                    type: .movedOut, subjectKey: moveKey, community: old.residence.community, street: oldStreet,
                    reason: "已于\(day)迁往\(new.residence.community.name)，请做好交接", evidence: evidence))
        }
        s.lastResidence = newMark

        // record_conflict: departments disagree on her name.
        if s.facts.namesBySource.count > 1, Self.namesDiffer(s.facts.namesBySource) {
            var byName: [String: [SourcedName]] = [:]
            for sourced in s.facts.namesBySource.values {
                byName[RulesPrivacy.normalisedName(sourced.name), default: []].append(sourced)
            }
            if byName.count > 1 {
                let departments = Topic.departmentFeeds.filter { s.facts.namesBySource[$0] != nil }.map(Self.department)
                raised.append(
                    RaisedAlert(
                        type: .recordConflict, subjectKey: "", community: community, street: street,
                        reason: "\(departments.joined(separator: "、"))登记的同一身份证号姓名不一致，请核实",
                        evidence: s.facts.namesBySource.values.map(\.evidence).sorted()))
            }
        }

        if raised.isEmpty && s.alerts.isEmpty { return }
        let subject = AlertSubject(
            personRef: s.personRef, maskedId: Masking.maskIDNumber(person.idNumber),
            maskedName: Masking.maskName(person.name))
        merge(
            &s, raised: raised, at: instant, subject: subject, community: community, street: street,
            changes: &changes)
    }

    /// Whether any two departments' names differ byte for byte (if none do, there is no conflict
    /// and no need to normalise them).
    private static func namesDiffer(_ names: [Topic: SourcedName]) -> Bool {
        var first: String?
        for sourced in names.values {
            if let f = first {
                if f != sourced.name { return true }
            } else {
                first = sourced.name
            }
        }
        return false
    }

    private func certificateRules(
        _ facts: PersonFacts, day: LocalDate, community: CommunityRef, street: StreetRef?,
        into raised: inout [RaisedAlert]
    ) {
        let c = configuration
        var anchors: [Anchor] = []
        for p in facts.permits.values where p.isLive(on: day) {
            anchors.append(Anchor(start: p.arrivalDate, label: "暂住证登记到达", evidence: p.evidence))
        }
        for l in facts.licences.values where !l.revoked {
            anchors.append(Anchor(start: l.issuedOn, label: "营业执照登记", evidence: l.evidence))
        }
        for g in facts.guardianEnrolments.values where !g.withdrawn {
            anchors.append(Anchor(start: g.enrolledOn, label: "子女入托入学", evidence: g.evidence))
        }
        guard !anchors.isEmpty else { return }  // she does not live here (any more)

        func alert(_ type: AlertType, _ key: String, _ reason: String, _ evidence: [AlertEvidence]) {
            raised.append(
                RaisedAlert(
                    type: type, subjectKey: key, community: community, street: street, reason: reason,
                    evidence: evidence.count > 1 ? Array(Set(evidence)).sorted() : evidence))
        }

        // certificate_missing: no *valid* certificate on file (DESIGN.md) — none at all, or only
        // revoked or expired ones (an expired one raises certificate_expired as well).
        if !(facts.currentCertificate?.isValid(on: day) ?? false) {
            let due = anchors.filter { $0.start.adding(days: c.certificateGraceDays) <= day }
            if let first = due.min(by: { ($0.start, $0.evidence) < ($1.start, $1.evidence) }) {
                alert(
                    .certificateMissing, "",
                    "\(first.label)（\(first.start)）已满\(c.certificateGraceDays)天，未查到有效的流动人口婚育证明",
                    due.map(\.evidence))
            }
        }
        guard let cert = facts.currentCertificate else { return }

        if cert.validUntil < day {
            alert(
                .certificateExpired, cert.certificateNo, "所持婚育证明已于\(cert.validUntil)到期，请督促办理换证",
                [cert.evidence])
        } else if cert.validUntil.adding(days: -c.expiringWindowDays) <= day {
            alert(
                .certificateExpiring, cert.certificateNo,
                "所持婚育证明将于\(cert.validUntil)到期（\(c.expiringWindowDays)天内），请提醒及时换证", [cert.evidence])
        }

        // The marital and child rules read the newest certificate (latest issued): it is the one
        // that can reflect a later registration or child, whatever its validity.
        let newest = facts.newestCertificate ?? cert
        if let reg = facts.latestRegistration, newest.issuedOn < reg.registeredOn {
            let contradicts: Bool
            switch reg.event {
            case .marriage: contradicts = newest.maritalStatus != .married
            case .divorce: contradicts = newest.maritalStatus != .divorced
            }
            if contradicts {
                let what = reg.event == .marriage ? "结婚" : "离婚"
                alert(
                    .maritalStatusChanged, reg.certificateNo,
                    "民政部门于\(reg.registeredOn)办理\(what)登记，晚于婚育证明签发日\(newest.issuedOn)，"
                        + "证明上的婚姻状况（\(Self.maritalText(newest.maritalStatus))）需更新",
                    [reg.evidence, newest.evidence])
            }
        }

        var missingChildren: [String: (EnrolmentRecord, [AlertEvidence])] = [:]
        for g in facts.guardianEnrolments.values
        where !g.withdrawn && g.relation == .mother && g.child.birthDate < newest.issuedOn && !newest.lists(g.child) {
            let key = PersonFacts.childKey(g.child)
            var entry = missingChildren[key] ?? (g, [newest.evidence])
            entry.1.append(g.evidence)
            missingChildren[key] = entry
        }
        for (key, (g, evidence)) in missingChildren {
            let sex = g.child.sex == .female ? "女" : "男"
            alert(
                .childNotOnCertificate, key,
                "\(g.child.birthDate)出生的\(sex)孩已入托入学，出生早于婚育证明签发日\(newest.issuedOn)，但未列入该证明",
                evidence)
        }
    }

    /// The certificate that meets an open alert's own closing condition (DESIGN.md "closed when")
    /// at `day`, if any: it is what closes the alert (`closedBy`).
    /// An alert that merely stops applying — she turns 50, her permit ends, a certificate passes
    /// its `validUntil` — stays open until that condition or an office closes it:
    /// - `certificate_missing`: a valid certificate is on file;
    /// - `certificate_expiring`: renewed — a valid certificate that is not this one inside its window;
    /// - `certificate_expired`: renewed — a valid certificate is on file;
    /// - `marital_status_changed`: the newest certificate is issued on or after the registration;
    /// - `child_not_on_certificate`: the newest certificate lists the child.
    func closingCertificate(for alert: AlertMessage, facts: PersonFacts, personRef: String, day: LocalDate)
        -> CertificateOnFile?
    {
        let cert: CertificateOnFile?
        switch alert.type {
        case .maritalStatusChanged, .childNotOnCertificate: cert = facts.newestCertificate
        default: cert = facts.currentCertificate
        }
        guard let cert else { return nil }
        return closes(alert, cert, facts: facts, personRef: personRef, day: day) ? cert : nil
    }

    private func closes(
        _ alert: AlertMessage, _ cert: CertificateOnFile, facts: PersonFacts, personRef: String, day: LocalDate
    ) -> Bool {
        switch alert.type {
        case .certificateMissing, .certificateExpired:
            return cert.isValid(on: day)
        case .certificateExpiring:
            guard cert.isValid(on: day) else { return false }
            let sameCertificate =
                RulesPrivacy.alertId(type: .certificateExpiring, personRef: personRef, subject: cert.certificateNo) == alert.alertId
            return !sameCertificate || cert.validUntil.adding(days: -configuration.expiringWindowDays) > day
        case .maritalStatusChanged:
            let registration = facts.registrations.values.first {
                RulesPrivacy.alertId(type: .maritalStatusChanged, personRef: personRef, subject: $0.certificateNo) == alert.alertId
            }
            guard let registration else { return false }
            return cert.issuedOn >= registration.registeredOn
        case .childNotOnCertificate:
            let enrolment = facts.guardianEnrolments.values.first {
                RulesPrivacy.alertId(type: .childNotOnCertificate, personRef: personRef, subject: PersonFacts.childKey($0.child))
                    == alert.alertId
            }
            guard let enrolment else { return false }
            return cert.lists(enrolment.child)
        case .movedIn, .movedOut, .recordConflict, .escalation:
            return false
        }
    }

    /// Turns this instant's verdicts into alert messages on the timeline.
    private func merge(
        _ s: inout PersonState, raised: [RaisedAlert], at instant: Timestamp, subject: AlertSubject,
        community: CommunityRef, street: StreetRef?, changes: inout [AlertMessage]
    ) {
        var local: [AlertMessage] = []
        var seen = Set<String>()
        let escalation = Int64(configuration.escalationDays) * 86_400_000
        for r in raised {
            let id = RulesPrivacy.alertId(type: r.type, personRef: s.personRef, subject: r.subjectKey)
            seen.insert(id)
            let old = s.alerts[id]
            if let old, old.status == .open {
                // Still open: a renewal of the record behind it is no change of the alert.
                let kept = Self.following(old, subject: subject, community: r.community, street: r.street)
                if kept != old { local.append(kept) }
                continue
            }
            let message = AlertMessage(
                alertId: id, type: r.type, status: .open, audience: r.type.audience, community: r.community,
                street: r.street, subject: subject, reason: r.reason, evidence: r.evidence, raisedAt: instant,
                dueBy: Timestamp(millisecondsSinceEpoch: instant.millisecondsSinceEpoch + escalation))
            local.append(message)
        }
        let day = configuration.localDate(instant)
        for (id, old) in s.alerts where old.status == .open && !seen.contains(id) {
            if let cert = closingCertificate(for: old, facts: s.facts, personRef: s.personRef, day: day) {
                local.append(old.closed(at: instant, by: .record(cert.evidence)))
            } else {
                // Still open, not raised now: it follows her house unless it is a handover to one community.
                let handover = old.type == .movedIn || old.type == .movedOut
                let kept = Self.following(
                    old, subject: subject, community: handover ? old.community : community, street: handover ? old.street : street)
                if kept != old { local.append(kept) }
            }
        }
        if local.count > 1 { local.sort { ($0.type, $0.alertId) < ($1.type, $1.alertId) } }
        for m in local { s.alerts[m.alertId] = m }
        changes.append(contentsOf: local)
    }

    /// An open alert as it stands now: the reason, records and dates it was raised with, her
    /// current name and the office given.
    private static func following(
        _ alert: AlertMessage, subject: AlertSubject, community: CommunityRef, street: StreetRef?
    ) -> AlertMessage {
        var kept = alert
        kept.subject = subject
        kept.community = community
        kept.street = street
        return kept
    }

    static func department(_ topic: Topic) -> String {
        switch topic {
        case .residencePermits: return "公安"
        case .marriageRegistrations: return "民政"
        case .businessLicenses: return "市场监管"
        case .schoolEnrollments: return "教育"
        case .certificates: return "卫健"
        default: return topic.rawValue
        }
    }

    static func maritalText(_ status: CertificateFact.MaritalStatus) -> String {
        switch status {
        case .unmarried: return "未婚"
        case .married: return "已婚"
        case .divorced: return "离婚"
        case .widowed: return "丧偶"
        }
    }
}
