import Foundation
import Testing
import XiechaCore

@Suite struct RulesScenarioTests {
    // MARK: certificate_missing

    @Test(arguments: [
        ("2026-09-30", false),  // day 29 after arrival
        ("2026-10-01", true),  // day 30: raised at 00:00
        ("2026-10-02", true),  // day 31
    ])
    func missingBoundaryDays(until: String, raised: Bool) {
        let p = RT.person()
        let r = RT.run([RT.permit(p, "r1", at: "2026-09-01", arrival: "2026-09-01")], until: until)
        let open = r.open(.certificateMissing)
        #expect(open.count == (raised ? 1 : 0))
        if raised {
            #expect(open[0].raisedAt == RT.midnight("2026-10-01"))
            #expect(open[0].dueBy == RT.midnight("2026-10-08"))
            #expect(open[0].community == RT.communityA)
            #expect(open[0].evidence == [AlertEvidence(topic: .residencePermits, recordId: "r1")])
            #expect(r.messages.count == 1)  // day 31 publishes nothing new
        }
        #expect(r.state?.nextDeadline != nil)
    }

    @Test func deadlineIsNextMidnightOfDueDay() {
        let p = RT.person()
        let out = RT.engine.apply(
            RT.permit(p, "r1", at: "2026-09-01", arrival: "2026-09-01"), to: nil, now: RT.at("2026-09-01"))
        #expect(out.nextDeadline == RT.midnight("2026-10-01"))
        #expect(out.messages.isEmpty)
        let fired = RT.engine.advance(out.state, to: out.nextDeadline!)
        #expect(fired.messages.map(\.type) == [.certificateMissing])
    }

    @Test(arguments: [
        // (birth, sex, hukou, raised) checked on 2026-10-01
        ("2009-10-02", Sex.female, "420102", false),  // 17 (turns 18 the next day)
        ("2008-10-01", Sex.female, "420102", true),  // 18 that day
        ("1977-10-02", Sex.female, "420102", true),  // 49
        ("1976-10-01", Sex.female, "420102", false),  // 50 that day
        ("1990-03-07", Sex.male, "420102", false),  // men are not in scope
        ("1990-03-07", Sex.female, "421125", false),  // local resident
    ])
    func scope(birth: String, sex: Sex, hukou: String, raised: Bool) {
        let p = RT.person(sex: sex, birth: birth, hukou: hukou)
        let r = RT.run([RT.permit(p, "r1", at: "2026-09-01", arrival: "2026-09-01")], until: "2026-10-01")
        #expect(r.open(.certificateMissing).count == (raised ? 1 : 0))
    }

    @Test func seventeenYearOldIsRaisedOnHer18thBirthday() {
        let p = RT.person(birth: "2008-10-15")
        let r = RT.run([RT.permit(p, "r1", at: "2026-09-01", arrival: "2026-09-01")], until: "2026-11-01")
        #expect(r.open(.certificateMissing).map(\.raisedAt) == [RT.midnight("2026-10-15")])
    }

    /// DESIGN.md closes certificate_missing only when a valid certificate arrives: turning 50
    /// stops new alerts, it does not close an open one.
    @Test func agingOutKeepsTheAlertOpenUntilACertificateArrives() {
        let p = RT.person(birth: "1976-11-01")
        let permit = RT.permit(p, "r1", at: "2026-09-01", arrival: "2026-09-01")
        let r = RT.run([permit], until: "2026-12-01")
        #expect(r.all(.certificateMissing).map(\.status) == [.open])
        #expect(r.messages.count == 1)
        let cert = RT.certificate(p, "c1", at: "2026-12-05", issued: "2026-12-05", validUntil: "2029-12-04")
        let closed = RT.run([permit, cert], until: "2027-01-01")
        #expect(closed.all(.certificateMissing).map(\.status) == [.closed])
        #expect(closed.all(.certificateMissing).first?.closedBy == .record(AlertEvidence(topic: .certificates, recordId: "c1")))
    }

    @Test func licenceAndEnrolmentStartTheClockToo() {
        let p = RT.person()
        let child = ChildRef(idNumber: nil, birthDate: RT.date("2019-05-01"), sex: .male)
        let lic = RT.run([RT.licence(p, "l1", at: "2026-09-05", issued: "2026-09-05")], until: "2026-10-05")
        #expect(lic.open(.certificateMissing).map(\.raisedAt) == [RT.midnight("2026-10-05")])
        let enr = RT.run(
            [RT.enrolment(p, "e1", at: "2026-09-01", child: child, enrolled: "2026-09-01")], until: "2026-10-01")
        #expect(enr.open(.certificateMissing).count == 1)
    }

    @Test func certificateArrivingBeforePermitRaisesNothing() {
        let p = RT.person()
        let cert = RT.certificate(p, "c1", at: "2026-08-20", issued: "2026-08-20", validUntil: "2029-08-19")
        let permit = RT.permit(p, "r1", at: "2026-09-01", arrival: "2026-09-01")
        let inOrder = RT.run([cert, permit], until: "2026-12-01")
        let reversed = RT.run([permit, cert], until: "2026-12-01")
        #expect(inOrder.messages.isEmpty)
        #expect(reversed.messages.isEmpty)
    }

    @Test func validCertificateClosesMissing() {
        let p = RT.person()
        let r = RT.run(
            [
                RT.permit(p, "r1", at: "2026-09-01", arrival: "2026-09-01"),
                RT.certificate(p, "c1", at: "2026-10-10", issued: "2026-10-10", validUntil: "2029-10-09"),
            ], until: "2026-12-01")
        let m = r.all(.certificateMissing)
        #expect(m.count == 1 && m[0].status == .closed)
        #expect(m[0].closedBy == .record(AlertEvidence(topic: .certificates, recordId: "c1")))
        #expect(m[0].closedAt == RT.at("2026-10-10"))
        #expect(r.messages.map(\.status) == [.open, .closed])
    }

    /// An open alert keeps the records that raised it: renewing the permit behind it changes nothing.
    @Test func renewalBehindAnOpenAlertIsNoChange() {
        let p = RT.person()
        let r = RT.run(
            [
                RT.permit(p, "r1", at: "2026-09-01", arrival: "2026-09-01"),
                RT.permit(p, "r2", at: "2026-10-10", event: .renewed, arrival: "2026-09-01", validUntil: "2031-12-31"),
            ], until: "2026-11-01")
        #expect(r.messages.count == 1)
        #expect(r.open(.certificateMissing).first?.evidence == [AlertEvidence(topic: .residencePermits, recordId: "r1")])
    }

    @Test func revokedCertificateDoesNotCount() {
        let p = RT.person()
        let r = RT.run(
            [
                RT.certificate(p, "c1", at: "2026-08-01", issued: "2026-08-01", validUntil: "2029-07-31"),
                RT.certificate(p, "c2", at: "2026-08-15", event: .revoked, issued: "2026-08-01", validUntil: "2029-07-31"),
                RT.permit(p, "r1", at: "2026-09-01", arrival: "2026-09-01"),
            ], until: "2026-10-01")
        #expect(r.open(.certificateMissing).count == 1)
    }

    /// A cancelled permit ends her presence (no new alert) but closes nothing: only a valid
    /// certificate closes certificate_missing, and no alert is ever closed by the clock.
    @Test func cancelledPermitLeavesMissingOpen() {
        let p = RT.person()
        let r = RT.run(
            [
                RT.permit(p, "r1", at: "2026-09-01", arrival: "2026-09-01"),
                RT.permit(p, "r2", at: "2026-10-20", event: .cancelled, arrival: "2026-09-01"),
            ], until: "2026-11-01")
        let m = r.all(.certificateMissing)
        #expect(m.map(\.status) == [.open])
        #expect(r.messages.count == 1)
        #expect(!r.messages.contains { $0.closedBy == .clock })
    }

    // MARK: expiring / expired

    @Test func expiringThenExpiredThenRenewed() {
        let p = RT.person()
        let permit = RT.permit(p, "r1", at: "2026-01-10", arrival: "2026-01-10")
        let cert = RT.certificate(p, "c1", at: "2026-01-05", issued: "2024-01-01", validUntil: "2026-12-31")
        // 30 days before validUntil: 2026-12-01.
        let before = RT.run([cert, permit], until: "2026-11-30")
        #expect(before.open.isEmpty)
        let expiring = RT.run([cert, permit], until: "2026-12-01")
        #expect(expiring.open(.certificateExpiring).map(\.raisedAt) == [RT.midnight("2026-12-01")])
        let expired = RT.run([cert, permit], until: "2027-01-01")
        #expect(expired.open(.certificateExpired).map(\.raisedAt) == [RT.midnight("2027-01-01")])
        // Both stay open: each is closed by a renewal only (DESIGN.md "closed when").
        #expect(expired.all(.certificateExpiring).map(\.status) == [.open])
        // No valid certificate on file any more: certificate_missing too (DESIGN.md), the same day.
        #expect(expired.open(.certificateMissing).map(\.raisedAt) == [RT.midnight("2027-01-01")])
        let renewed = RT.certificate(
            p, "c2", at: "2027-01-20", event: .renewed, issued: "2027-01-20", validUntil: "2030-01-19")
        var r = expired
        let out = RT.engine.apply(renewed, to: r.state, now: RT.at("2027-01-20"))
        r.messages += out.messages
        #expect(out.messages.map(\.type) == [.certificateMissing, .certificateExpiring, .certificateExpired])
        #expect(out.messages.allSatisfy { $0.status == .closed })
        #expect(r.all(.certificateExpiring).first?.closedBy == .record(AlertEvidence(topic: .certificates, recordId: "c2")))
        #expect(r.all(.certificateExpired).first?.status == .closed)
        #expect(r.all(.certificateExpired).first?.closedBy == .record(AlertEvidence(topic: .certificates, recordId: "c2")))
        #expect(r.open.isEmpty)
    }

    @Test func expiryIsIgnoredWhenSheDoesNotLiveHere() {
        let p = RT.person()
        let r = RT.run(
            [RT.certificate(p, "c1", at: "2026-01-05", issued: "2024-01-01", validUntil: "2026-12-31")],
            until: "2027-03-01")
        #expect(r.messages.isEmpty)
        #expect(r.state?.nextDeadline == nil || r.state!.nextDeadline! > RT.midnight("2027-03-01"))
    }

    // MARK: marital_status_changed

    @Test func marriageAfterCertificateContradicts() {
        let p = RT.person()
        let base = [
            RT.permit(p, "r1", at: "2025-01-01", arrival: "2025-01-01"),
            RT.certificate(p, "c1", at: "2025-01-10", marital: .unmarried, issued: "2025-01-10", validUntil: "2028-01-09"),
        ]
        let married = RT.marriage(p, "m1", at: "2026-05-01", registered: "2026-05-01")
        let r = RT.run(base + [married])
        #expect(r.open(.maritalStatusChanged).map(\.raisedAt) == [RT.at("2026-05-01")])
        #expect(
            r.open(.maritalStatusChanged).first?.evidence == [
                AlertEvidence(topic: .marriageRegistrations, recordId: "m1"),
                AlertEvidence(topic: .certificates, recordId: "c1"),
            ].sorted())
        let updated = RT.certificate(
            p, "c2", at: "2026-06-01", number: "C2", marital: .married, issued: "2026-06-01", validUntil: "2029-05-31")
        let closed = RT.run(base + [married, updated])
        #expect(closed.all(.maritalStatusChanged).map(\.status) == [.closed])
        // Marriage before the certificate was issued: nothing to report.
        let early = RT.marriage(p, "m0", at: "2025-01-05", registered: "2024-12-01")
        #expect(RT.run(base + [early]).all(.maritalStatusChanged).isEmpty)
        // Certificate already says married.
        let marriedCert = [
            base[0],
            RT.certificate(p, "c1", at: "2025-01-10", marital: .married, issued: "2025-01-10", validUntil: "2028-01-09"),
        ]
        #expect(RT.run(marriedCert + [married]).all(.maritalStatusChanged).isEmpty)
    }

    @Test func divorceContradictsMarriedCertificate() {
        let p = RT.person()
        let r = RT.run([
            RT.permit(p, "r1", at: "2025-01-01", arrival: "2025-01-01"),
            RT.certificate(p, "c1", at: "2025-01-10", marital: .married, issued: "2025-01-10", validUntil: "2028-01-09"),
            RT.marriage(p, "d1", at: "2026-03-01", event: .divorce, number: "L1", registered: "2026-03-01"),
        ])
        #expect(r.open(.maritalStatusChanged).count == 1)
    }

    // MARK: child_not_on_certificate

    @Test func childMissingFromCertificate() {
        let p = RT.person()
        let childID = RT.idNumber(region: "420102", birth: RT.date("2019-05-01"), sequence: 11)
        let child = ChildRef(idNumber: childID, birthDate: RT.date("2019-05-01"), sex: .male)
        let base = [
            RT.permit(p, "r1", at: "2025-01-01", arrival: "2025-01-01"),
            RT.certificate(p, "c1", at: "2025-01-10", marital: .married, issued: "2025-01-10", validUntil: "2028-01-09"),
        ]
        let enrol = RT.enrolment(p, "e1", at: "2025-09-01", child: child, enrolled: "2025-09-01")
        let r = RT.run(base + [enrol])
        #expect(r.open(.childNotOnCertificate).count == 1)
        // Listed by birth date + sex (no ID on the certificate): closes.
        let listed = RT.certificate(
            p, "c2", at: "2025-10-01", number: "C2", marital: .married,
            children: [ChildRef(idNumber: nil, birthDate: RT.date("2019-05-01"), sex: .male)], issued: "2025-10-01",
            validUntil: "2028-09-30")
        let closed = RT.run(base + [enrol, listed])
        #expect(closed.all(.childNotOnCertificate).map(\.status) == [.closed])
        // Father as guardian: not this rule.
        let father = RT.enrolment(p, "e2", at: "2025-09-01", child: child, relation: .father, enrolled: "2025-09-01")
        #expect(RT.run(base + [father]).all(.childNotOnCertificate).isEmpty)
        // Born after the certificate was issued: not expected on it.
        let young = ChildRef(idNumber: nil, birthDate: RT.date("2025-06-01"), sex: .female)
        let youngEnrol = RT.enrolment(p, "e3", at: "2025-09-01", child: young, enrolled: "2025-09-01")
        #expect(RT.run(base + [youngEnrol]).all(.childNotOnCertificate).isEmpty)
    }

    // MARK: moves

    @Test func moveAcrossCommunitiesHandsOver() {
        let p = RT.person()
        let r = RT.run(
            [
                RT.permit(p, "r1", at: "2026-09-01", arrival: "2026-09-01"),
                RT.permit(
                    p, "r2", at: "2026-11-01", event: .renewed, arrival: "2026-09-01",
                    residence: RT.house("421125-002-001-0202", community: RT.communityB)),
            ], until: "2026-11-02")
        let movedIn = r.open(.movedIn)
        let movedOut = r.open(.movedOut)
        #expect(movedIn.map(\.community) == [RT.communityB])
        #expect(movedOut.map(\.community) == [RT.communityA])
        #expect(movedIn.first?.raisedAt == RT.at("2026-11-01"))
        // The missing-certificate alert raised in A on 10-01 follows her to B, same id, same raisedAt.
        let missing = r.messages.filter { $0.type == .certificateMissing }
        #expect(missing.count == 2)
        #expect(Set(missing.map(\.alertId)).count == 1)
        #expect(missing.map(\.community) == [RT.communityA, RT.communityB])
        #expect(missing.last?.raisedAt == RT.midnight("2026-10-01"))
        #expect(missing.last?.street == RT.streetB)
    }

    @Test func moveWithinCommunityIsQuiet() {
        let p = RT.person()
        let r = RT.run([
            RT.permit(p, "r1", at: "2026-09-01", arrival: "2026-09-01"),
            RT.permit(p, "r2", at: "2026-09-10", permitNo: "P2", arrival: "2026-09-10", residence: RT.house("421125-001-009-0303")),
        ])
        #expect(r.messages.isEmpty)
    }

    @Test func menDoNotTriggerMoves() {
        let p = RT.person(sex: .male)
        let r = RT.run([
            RT.permit(p, "r1", at: "2026-09-01", arrival: "2026-09-01"),
            RT.permit(
                p, "r2", at: "2026-09-10", permitNo: "P2", arrival: "2026-09-10",
                residence: RT.house("421125-002-001-0202", community: RT.communityB)),
        ])
        #expect(r.messages.isEmpty)
    }

    /// Moves are judged on her permit's house only (DESIGN.md: "an in-scope person's permit
    /// changes house across communities").
    @Test func onlyAPermitChangingHouseIsAMove() {
        let p = RT.person()
        let houseB = RT.house("421125-002-001-0202", community: RT.communityB)
        // No permit: a licence whose address changes is no move.
        let licences = RT.run([
            RT.licence(p, "l1", at: "2026-09-01", issued: "2026-09-01"),
            RT.licence(p, "l2", at: "2026-09-10", issued: "2026-09-01", residence: houseB),
        ])
        #expect(licences.all(.movedIn).isEmpty && licences.all(.movedOut).isEmpty)
        // Permit in A, licence in B, permit cancelled: her permit never changed house.
        let cancelled = RT.run([
            RT.permit(p, "r1", at: "2026-09-01", arrival: "2026-09-01"),
            RT.licence(p, "l1", at: "2026-09-02", issued: "2026-09-02", residence: houseB),
            RT.permit(p, "r2", at: "2026-09-10", event: .cancelled, arrival: "2026-09-01"),
        ])
        #expect(cancelled.all(.movedIn).isEmpty && cancelled.all(.movedOut).isEmpty)
        // A cancelled permit in A, then a new permit in B: her permit house changed.
        let replaced = RT.run([
            RT.permit(p, "r1", at: "2026-09-01", arrival: "2026-09-01"),
            RT.permit(p, "r2", at: "2026-09-10", event: .cancelled, arrival: "2026-09-01"),
            RT.permit(p, "r3", at: "2026-09-12", permitNo: "P2", arrival: "2026-09-12", residence: houseB),
        ])
        #expect(replaced.open(.movedIn).map(\.community) == [RT.communityB])
        #expect(replaced.open(.movedOut).map(\.community) == [RT.communityA])
    }

    /// A permit, an "unmarried" certificate without children, then an enrolled child and a
    /// marriage: open child_not_on_certificate and marital_status_changed alerts.
    static func unmarriedCertificateThenChildAndMarriage(_ p: Person, child: ChildRef, validUntil: String) -> [PersonEvent] {
        [
            RT.permit(p, "r1", at: "2025-01-01", arrival: "2025-01-01"),
            RT.certificate(p, "c1", at: "2025-01-10", marital: .unmarried, issued: "2025-01-10", validUntil: validUntil),
            RT.enrolment(p, "e1", at: "2025-09-01", child: child, enrolled: "2025-09-01"),
            RT.marriage(p, "m1", at: "2026-05-01", registered: "2026-05-01"),
        ]
    }

    /// Each alert closes only on its own "closed when" (DESIGN.md): a withdrawn enrolment or a
    /// cancelled permit closes nothing; a certificate listing the child, issued after the
    /// registration, or valid again does.
    @Test func alertsCloseOnlyOnTheirOwnCondition() {
        let p = RT.person()
        let child = ChildRef(idNumber: nil, birthDate: RT.date("2019-05-01"), sex: .male)
        let base = Self.unmarriedCertificateThenChildAndMarriage(p, child: child, validUntil: "2028-01-09")
        let withdrawn = RT.enrolment(p, "e2", at: "2026-06-01", child: child, event: .withdrawn, enrolled: "2025-09-01")
        let leaving = RT.permit(p, "r2", at: "2026-06-02", event: .cancelled, arrival: "2025-01-01")
        let r = RT.run(base + [withdrawn, leaving], until: "2026-07-01")
        #expect(r.all(.childNotOnCertificate).map(\.status) == [.open])
        #expect(r.all(.maritalStatusChanged).map(\.status) == [.open])
        // A certificate issued after the registration and listing the child closes both, by that record.
        let fixed = RT.certificate(
            p, "c2", at: "2026-07-10", number: "C2", marital: .married, children: [child], issued: "2026-07-10",
            validUntil: "2029-07-09")
        let closed = RT.run(base + [withdrawn, leaving, fixed], until: "2026-08-01")
        for type in [AlertType.childNotOnCertificate, .maritalStatusChanged] {
            #expect(closed.all(type).map(\.status) == [.closed])
            #expect(closed.all(type).first?.closedBy == .record(AlertEvidence(topic: .certificates, recordId: "c2")))
        }
    }

    /// A permit renewed at its own house is no move: not when the directory placed the house in
    /// another community meanwhile, not when another live permit was the latest.
    @Test func aPermitRenewedAtItsOwnHouseIsNoMove() {
        let p = RT.person()
        let unknown = RT.house("421125-001-003-0999", community: .unassigned)
        let known = RT.house("421125-001-003-0999", community: RT.communityA)
        let directoryCaughtUp = RT.run([
            RT.permit(p, "r1", at: "2026-09-01", arrival: "2026-09-01", residence: unknown),
            RT.permit(p, "r2", at: "2026-09-10", event: .renewed, arrival: "2026-09-01", residence: known),
        ])
        #expect(directoryCaughtUp.all(.movedIn).isEmpty && directoryCaughtUp.all(.movedOut).isEmpty)
        let houseB = RT.house("421125-002-001-0202", community: RT.communityB)
        let twoPermits = RT.run([
            RT.permit(p, "r1", at: "2026-09-01", permitNo: "P1", arrival: "2026-09-01"),
            RT.permit(p, "r2", at: "2026-09-02", permitNo: "P2", arrival: "2026-09-02", residence: houseB),
            RT.permit(p, "r3", at: "2026-09-10", event: .renewed, permitNo: "P1", arrival: "2026-09-01"),
        ])
        // P2 in B is her second permit (a new permit in another community: a move); renewing P1 at
        // its own house is not a move back.
        #expect(twoPermits.all(.movedIn).map(\.community) == [RT.communityB])
        #expect(twoPermits.all(.movedIn).first?.evidence.count == 2)
    }

    /// The marital and children rules read the newest certificate, even when an older one runs longer.
    @Test func theNewestCertificateClosesMaritalAndChildAlerts() {
        let p = RT.person()
        let child = ChildRef(idNumber: nil, birthDate: RT.date("2019-05-01"), sex: .male)
        let base = Self.unmarriedCertificateThenChildAndMarriage(p, child: child, validUntil: "2029-01-09")
        let open = RT.run(base, until: "2026-06-01")
        #expect(open.open(.maritalStatusChanged).count == 1 && open.open(.childNotOnCertificate).count == 1)
        let shorter = RT.certificate(
            p, "c2", at: "2026-07-10", number: "C2", marital: .married, children: [child], issued: "2026-07-10",
            validUntil: "2027-07-09")
        let closed = RT.run(base + [shorter], until: "2026-08-01")
        for type in [AlertType.childNotOnCertificate, .maritalStatusChanged] {
            #expect(closed.all(type).map(\.status) == [.closed])
            #expect(closed.all(type).first?.closedBy == .record(AlertEvidence(topic: .certificates, recordId: "c2")))
        }
    }

    /// Named as the spouse on her husband's certificate: her name counts for record_conflict,
    /// the certificate does not count as hers.
    @Test func spouseOnACertificate() {
        let p = RT.person(name: "李娜")
        var asSpouse = RT.certificate(p, "c9", at: "2026-09-05", marital: .married, issued: "2026-09-05", validUntil: "2029-09-04")
        asSpouse.role = .spouse
        asSpouse.person.name = "李那"
        let r = RT.run([RT.permit(p, "r1", at: "2026-09-01", arrival: "2026-09-01"), asSpouse], until: "2026-10-01")
        #expect(r.open(.certificateMissing).count == 1)
        #expect(r.open(.recordConflict).count == 1)
        #expect(r.open(.recordConflict).first?.evidence.contains(AlertEvidence(topic: .certificates, recordId: "c9")) == true)
        // The spouse entry does not speak for who she is: without a hukouRegion it would default
        // to her ID's region (local here), yet her permit's migrant hukou still counts.
        let localId = RT.person(name: "李娜", region: "421125", hukou: "510623")
        var spouseEntry = RT.certificate(localId, "c9", at: "2026-09-05", marital: .married, issued: "2026-09-05", validUntil: "2029-09-04")
        spouseEntry.role = .spouse
        spouseEntry.person.hukouRegion = "421125"
        let migrant = RT.run([RT.permit(localId, "r1", at: "2026-09-01", arrival: "2026-09-01"), spouseEntry], until: "2026-10-01")
        #expect(migrant.open(.certificateMissing).count == 1)
        #expect(migrant.open(.certificateMissing).first?.subject.maskedName == "李*")
    }

    @Test func unknownHouseGoesToUnassigned() {
        let p = RT.person()
        let r = RT.run(
            [RT.permit(p, "r1", at: "2026-09-01", arrival: "2026-09-01", residence: RT.house("X-1", community: .unassigned))],
            until: "2026-10-01")
        let m = r.open(.certificateMissing)
        #expect(m.map(\.community) == [.unassigned])
        #expect(m.first?.street == nil)
        #expect(m.first?.kafkaKey == "unassigned")
        // No address at all: unassigned as well.
        let none = RT.run([RT.permit(p, "r1", at: "2026-09-01", arrival: "2026-09-01", residence: nil)], until: "2026-10-01")
        #expect(none.open(.certificateMissing).map(\.community) == [.unassigned])
    }

    // MARK: record_conflict

    @Test func nameConflictAcrossDepartments() {
        let p = RT.person(name: "王芳")
        var spaced = p
        spaced.name = "王　芳"  // ideographic space: same name
        var other = p
        other.name = "王芬"
        let permit = RT.permit(p, "r1", at: "2026-09-01", arrival: "2026-09-01")
        let same = RT.run([permit, RT.certificate(spaced, "c1", at: "2026-09-02", issued: "2026-09-02", validUntil: "2029-09-01")])
        #expect(same.all(.recordConflict).isEmpty)
        let diff = RT.run([permit, RT.certificate(other, "c1", at: "2026-09-02", issued: "2026-09-02", validUntil: "2029-09-01")])
        let c = diff.open(.recordConflict)
        #expect(c.count == 1)
        #expect(c.first?.audience == .street)
        #expect(c.first?.kafkaKey == RT.streetA.code)
        #expect(c.first?.evidence.count == 2)
        #expect(c.first.map { !$0.reason.contains("王芳") && !$0.reason.contains("王芬") } == true)
        // Men and locals too: not a certificate rule.
        let man = RT.person(name: "李强", sex: .male, hukou: "421125")
        var man2 = man
        man2.name = "李墙"
        let m = RT.run([
            RT.permit(man, "r1", at: "2026-09-01", arrival: "2026-09-01"),
            RT.licence(man2, "l1", at: "2026-09-03", issued: "2026-09-03"),
        ])
        #expect(m.open(.recordConflict).count == 1)
    }

    // MARK: ids, idempotence, privacy

    @Test func alertIdsAreDeterministicAndReopenTheSameAlert() {
        let p = RT.person()
        let events = [
            RT.permit(p, "r1", at: "2026-09-01", arrival: "2026-09-01"),
            RT.certificate(p, "c1", at: "2026-10-10", issued: "2026-10-10", validUntil: "2029-10-09"),
            RT.certificate(p, "c2", at: "2026-11-10", event: .revoked, issued: "2026-10-10", validUntil: "2029-10-09"),
        ]
        let r = RT.run(events, until: "2026-12-01")
        let missing = r.messages.filter { $0.type == .certificateMissing }
        #expect(missing.map(\.status) == [.open, .closed, .open])
        #expect(Set(missing.map(\.alertId)).count == 1)
        #expect(missing.last?.raisedAt == RT.at("2026-11-10"))
        #expect(RT.run(events, until: "2026-12-01").messages == r.messages)
    }

    @Test func everyEventTwiceIsTheSameAsOnce() {
        let p = RT.person()
        let events = RulesOrderTests.mixedHistory(p)
        let once = RT.run(events, until: "2028-06-01")
        let twice = RT.run(events, until: "2028-06-01", twice: true)
        #expect(once.messages == twice.messages)
        #expect(once.state == twice.state)
        #expect(!once.messages.isEmpty)
    }

    @Test func alertJSONHasTheContractShapeAndNoPersonalData() throws {
        let p = RT.person()
        let r = RT.run(RulesOrderTests.mixedHistory(p), until: "2028-06-01")
        #expect(!r.messages.isEmpty)
        for m in r.messages {
            let text = m.jsonString
            #expect(!text.contains(p.idNumber))
            #expect(!text.contains(p.name))
            #expect(text.contains("\"street\":"))
            let decoded = try JSONDecoder().decode(AlertMessage.self, from: Data(m.jsonBytes))
            #expect(decoded == m)
            #expect(m.subject.maskedId == String(p.idNumber.prefix(4)) + "**********" + String(p.idNumber.suffix(4)))
            #expect(m.subject.maskedName == "王*")
            #expect(m.subject.personRef.count == 64)
        }
    }
}
