import Foundation
import XiechaCore

/// A deterministic stream of person events that raises and closes every kind of certificate alert,
/// with dates far from today so the wall clock of a live worker cannot change the outcome.
enum SyntheticEvents {
    /// 240 communities under 24 streets, so alerts (keyed by community) spread over every partition
    /// and no partition of the embedded cluster nears its ~5 MiB limit.
    static let communities: [Residence] = (0..<240).map { c in
        let street = String(format: "421125%03d", c / 10 + 1)
        let community = street + String(format: "%03d", c % 10 + 1)
        return Residence(
            houseId: "421125-\(String(format: "%03d", c / 10 + 1))-\(String(format: "%03d", c % 10 + 1))-0101",
            community: CommunityRef(code: community, name: "社区\(c)"), street: StreetRef(code: street, name: "街道\(c / 10)"))
    }

    /// `persons` people, four events each (in per-person order), interleaved across people.
    static func make(persons: Int, seed: UInt64 = 7) -> [PersonEvent] {
        var rng = SplitMix(seed: seed)
        var perPerson: [[PersonEvent]] = []
        let base = LocalDate(year: 2025, month: 1, day: 1)!
        for i in 0..<persons {
            // Unique per person: 450 female sequence numbers per birth date.
            let birth = LocalDate(year: 1985, month: 1, day: 1)!.adding(days: i / 450)
            let id = IDNumber.make(region: "510623", birthDate: birth, sequence: (i % 450) * 2 + 2).value  // even sequence: female
            let person = Person(idNumber: id, name: "测试\(i)", sex: .female, birthDate: birth, hukouRegion: "510623")
            let home = communities[i % communities.count]
            let arrival = base.adding(days: Int(rng.next() % 60))
            var t = Int64(Timestamp(startOf: arrival, utcOffsetSeconds: 8 * 3600).millisecondsSinceEpoch) + Int64(i % 1000)
            var events: [PersonEvent] = []
            func add(_ source: Topic, _ role: PersonRole, _ recordId: String, _ residence: Residence?, _ fact: PersonEvent.Fact) {
                t += 3_600_000
                events.append(
                    PersonEvent(
                        eventId: PersonEvent.makeEventId(source: source, recordId: recordId, role: role, idNumber: id), source: source,
                        recordId: recordId, occurredAt: Timestamp(millisecondsSinceEpoch: t), role: role, person: person, residence: residence,
                        fact: fact))
            }
            add(.residencePermits, .permitHolder, "rp-\(i)", home,
                .residencePermit(ResidencePermitFact(event: .registered, permitNo: "P\(i)", arrivalDate: arrival, issuedAt: arrival, validUntil: arrival.adding(days: 3650))))
            let kind = i % 10
            let issued = arrival.adding(days: kind < 5 ? 10 : 45)
            let valid = kind == 7 ? LocalDate(year: 2025, month: 9, day: 30)! : LocalDate(year: 2031, month: 12, day: 31)!
            add(.certificates, .certificateHolder, "mc-\(i)", nil,
                .certificate(CertificateFact(event: kind == 8 ? .revoked : .issued, certificateNo: "C\(i)", maritalStatus: .unmarried, children: [], issuedOn: issued, validUntil: valid, verifiedOn: nil)))
            if kind == 3 || kind == 9 {
                add(.marriageRegistrations, .marriageParty, "mr-\(i)", nil,
                    .marriageRegistration(MarriageRegistrationFact(event: .marriage, certificateNo: "M\(i)", registeredOn: issued.adding(days: 20))))
            } else {
                add(.businessLicenses, .licenseHolder, "bl-\(i)", home,
                    .businessLicense(BusinessLicenseFact(event: .issued, licenseNo: "L\(i)", issuedOn: arrival.adding(days: 5))))
            }
            let moved = kind == 4 || kind == 6 ? communities[(i + 7) % communities.count] : home
            add(.residencePermits, .permitHolder, "rp2-\(i)", moved,
                .residencePermit(ResidencePermitFact(event: .renewed, permitNo: "P\(i)", arrivalDate: arrival, issuedAt: arrival.adding(days: 90), validUntil: arrival.adding(days: 3650))))
            perPerson.append(events)
        }
        // Interleave people, keeping each person's order.
        var out: [PersonEvent] = []
        out.reserveCapacity(persons * 4)
        for k in 0..<4 { for p in perPerson where k < p.count { out.append(p[k]) } }
        return out
    }
}

struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
