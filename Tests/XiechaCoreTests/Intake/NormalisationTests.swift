import Testing
import XiechaCore

@Suite("Normalisation")
struct NormalisationTests {
    @Test func names() {
        #expect(TextNormalisation.name("王芳") == "王芳")
        #expect(TextNormalisation.name("　王　芳 ") == "王 芳")
        #expect(TextNormalisation.name("  Ｗａｎｇ   Ｆａｎｇ\t") == "Wang Fang")
        #expect(TextNormalisation.name("阿依古丽·买买提") == "阿依古丽·买买提")
        #expect(TextNormalisation.name(" \u{3000} ") == "")
        #expect(TextNormalisation.name("a\u{3000}\u{3000}b") == "a b")
    }

    @Test func codes() {
        #expect(TextNormalisation.code(" ４２１１２５－００１ ") == "421125-001")
        #expect(TextNormalisation.code("A  B") == "A  B")  // inner spaces kept in codes
        #expect(TextNormalisation.code("ＡＢｃ") == "ABc")
    }

    @Test(arguments: [
        ("2026-09-01", "2026-09-01"), ("2026/09/01", "2026-09-01"), ("20260901", "2026-09-01"),
        ("２０２６－０９－０１", "2026-09-01"), ("２０２６０９０１", "2026-09-01"), (" 2024-02-29 ", "2024-02-29"),
        ("２０２６／０９／０１", "2026-09-01"),
    ])
    func acceptedDates(_ input: String, _ iso: String) {
        #expect(DateNormalisation.parse(input)?.description == iso)
    }

    @Test(arguments: [
        "2026-02-30", "2025-02-29", "2026-13-01", "2026-00-10", "2026-9-1", "2026-09/01", "2026.09.01", "260901",
        "2026-09-01T00:00:00Z", "", "二〇二六年九月一日", "2026-09-011", "2026 09 01",
    ])
    func rejectedDates(_ input: String) {
        #expect(DateNormalisation.parse(input) == nil)
    }

    @Test func jurisdiction() {
        let j = Jurisdiction()
        #expect(j.regionPrefixes == ["421125"])
        let local = Person(idNumber: "421125199003070024", name: "王芳", sex: .female,
            birthDate: LocalDate(iso: "1990-03-07")!, hukouRegion: "421125")
        var migrant = local
        migrant.hukouRegion = "510623"
        #expect(!j.isMigrant(local))
        #expect(j.isMigrant(migrant))
        #expect(!Jurisdiction(regionPrefixes: ["4211", "5106"]).isMigrant(migrant))
        #expect(Jurisdiction(regionPrefixes: []).isMigrant(local))
    }

    @Test func hukouRegionDefaultsToTheIDRegion() throws {
        let bytes = Fixtures.example(.residencePermits, "renewed-without-hukou-region")
        guard case .residencePermit(let r) = try RecordDecoder.decode(topic: .residencePermits, value: bytes) else {
            Issue.record("wrong record kind")
            return
        }
        #expect(r.person.hukouRegion == nil)
        #expect(r.person.person.hukouRegion == "510623")
    }

    @Test func recordFieldsAreNormalised() throws {
        let bytes = Fixtures.example(.residencePermits, "id-with-lowercase-x-and-fullwidth-space-in-name")
        guard case .residencePermit(let r) = try RecordDecoder.decode(topic: .residencePermits, value: bytes) else {
            Issue.record("wrong record kind")
            return
        }
        #expect(r.person.idNumber.hasSuffix("X"))
        #expect(r.person.name == "赵 丽")
    }
}
