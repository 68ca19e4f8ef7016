import Foundation
import Testing
import XiechaCore

@Suite struct PersonStateEncodingTests {
    /// States along the mixed history (every rule, moves, a late event, retractions), each
    /// round-tripped through both encodings.
    static func states() -> [PersonState] {
        let p = RT.person()
        let events = RulesOrderTests.mixedHistory(p)
        var out: [PersonState] = []
        // In order, then with the first event last (a late event: replay and retraction).
        for order in [events, Array(events.dropFirst()) + [events[0]]] {
            var r = RT.run([])
            var maxSeen: Timestamp?
            for e in order {
                maxSeen = max(maxSeen ?? e.occurredAt, e.occurredAt)
                r.state = RT.engine.apply(e, to: r.state, now: maxSeen!).state
                out.append(r.state!)
            }
            out.append(RT.engine.advance(r.state!, to: RT.midnight("2028-06-01")).state)
        }
        return out
    }

    @Test func binaryRoundTrip() throws {
        let states = Self.states()
        #expect(states.contains { $0.alerts.values.contains { $0.status == .closed } })
        for s in states {
            let bytes = s.encoded()
            let decoded = try PersonState(decoding: bytes)
            #expect(decoded == s)
            #expect(decoded.facts == s.facts)
            #expect(decoded.encoded() == bytes)  // deterministic
        }
    }

    @Test func jsonRoundTrip() throws {
        for s in Self.states() {
            let data = try JSONEncoder().encode(s)
            #expect(try JSONDecoder().decode(PersonState.self, from: data) == s)
        }
    }

    @Test func decodedStateContinuesLikeTheOriginal() throws {
        let p = RT.person()
        let events = RulesOrderTests.mixedHistory(p)
        var plain: PersonState?
        var stored: [UInt8]?
        var plainMessages: [AlertMessage] = []
        var storedMessages: [AlertMessage] = []
        for e in events.reversed() {  // every event late: replays from decoded states
            let a = RT.engine.apply(e, to: plain, now: RT.at("2028-01-05"))
            plain = a.state
            plainMessages += a.messages
            let b = RT.engine.apply(e, to: try stored.map { try PersonState(decoding: $0) }, now: RT.at("2028-01-05"))
            stored = b.state.encoded()
            storedMessages += b.messages
        }
        #expect(storedMessages == plainMessages)
        #expect(try PersonState(decoding: stored!) == plain)
    }

    @Test func compactSize() {
        let p = RT.person()
        let r = RT.run(
            [
                RT.permit(p, "r1", at: "2026-09-01", arrival: "2026-09-01"),
                RT.certificate(p, "c1", at: "2026-10-10", issued: "2026-10-10", validUntil: "2029-10-09"),
            ], until: "2026-12-01")
        #expect(r.state!.alerts.count == 1)
        #expect(r.state!.encoded().count < 800)
    }

    @Test func rejectsGarbage() throws {
        let bytes = Self.states().last!.encoded()
        #expect(throws: PersonStateDecodingError.unknownFormat) { try PersonState(decoding: []) }
        #expect(throws: PersonStateDecodingError.unknownFormat) { try PersonState(decoding: Array("{}".utf8)) }
        for cut in stride(from: 2, to: bytes.count, by: 7) {
            #expect(throws: PersonStateDecodingError.self) { try PersonState(decoding: Array(bytes[..<cut])) }
        }
        #expect(throws: PersonStateDecodingError.self) { try PersonState(decoding: bytes + [0]) }
    }

    // MARK: privacy helpers

    @Test func personRefMatchesPrivacyModule() {
        let ids = (0..<50).map { RT.idNumber(birth: RT.date("1990-01-01").adding(days: $0 * 37), sequence: $0 * 2) }
        for secret in ["xiecha-embedded-default-person-ref-key", "k", String(repeating: "s", count: 64),
            String(repeating: "long", count: 40)]
        {
            var config = RulesConfiguration()
            config.personRefSecret = Array(secret.utf8)
            let engine = CrosscheckEngine(configuration: config)
            let key = PersonRefKey(secret: secret)
            for id in ids { #expect(engine.personRef(idNumber: id) == key.personRef(idNumber: id)) }
        }
        // Subjects agree with the Privacy module's masking on valid IDs and names.
        let p = RT.person()
        for m in RT.run(RulesOrderTests.mixedHistory(p), until: "2028-06-01").messages {
            #expect(m.subject.maskedId == Masking.maskIDNumber(p.idNumber))
            #expect(m.subject.maskedName == Masking.maskName(p.name))
            #expect(m.subject.personRef == PersonRefKey(secret: RT.config.personRefSecret).personRef(idNumber: p.idNumber))
        }
        var engine = CrosscheckEngine()
        engine.configuration.personRefSecret = Array("other".utf8)
        #expect(engine.personRef(idNumber: ids[0]) == PersonRefKey(secret: "other").personRef(idNumber: ids[0]))
    }
}
