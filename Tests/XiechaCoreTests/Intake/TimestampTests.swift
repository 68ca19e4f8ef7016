import Testing
import XiechaCore

@Suite("Timestamp parsing")
struct TimestampTests {
    static let reference = Timestamp(iso: "2026-09-01T02:00:00Z")!

    @Test(arguments: [
        "2026-09-01T10:00:00+08:00", "2026-09-01T10:00:00.000+08:00", "2026-09-01T10:00:00.000000000+08:00",
        "2026-09-01t02:00:00z", "2026-09-01T10:00+08:00", "2026-09-01 10:00:00+0800", "2026-09-01T10:00:00+08",
        "2026-09-01T02:00:00Z", "2026-09-01T02:00Z",
    ])
    func acceptedForms(_ text: String) {
        #expect(Timestamp(iso: text) == Self.reference, "\(text)")
    }

    @Test func fractionsAreCutToMilliseconds() {
        #expect(Timestamp(iso: "2026-09-01T02:00:00.123456789Z")?.millisecondsSinceEpoch == Self.reference.millisecondsSinceEpoch + 123)
        #expect(Timestamp(iso: "2026-09-01T02:00:00.1Z")?.millisecondsSinceEpoch == Self.reference.millisecondsSinceEpoch + 100)
    }

    @Test func zonelessIsLocalOnlyWhenAZoneIsGiven() {
        #expect(Timestamp(iso: "2026-09-01T10:00:00") == nil)
        #expect(Timestamp(iso: "2026-09-01T10:00:00", zonelessUTCOffsetSeconds: 8 * 3600) == Self.reference)
        #expect(Timestamp(iso: "2026-09-01T10:00", zonelessUTCOffsetSeconds: 8 * 3600) == Self.reference)
        #expect(Timestamp(iso: "2026-09-01", zonelessUTCOffsetSeconds: 8 * 3600) == Timestamp(iso: "2026-09-01T00:00:00+08:00"))
        #expect(Timestamp(iso: "2026-09-01") == Timestamp(iso: "2026-09-01T00:00:00Z"))
    }

    @Test(arguments: [
        "2026-09-01T", "2026-09-01T10", "2026-09-01T10:00:00.Z", "2026-09-01T25:00:00Z", "2026-09-01T10:60Z",
        "2026-09-01T10:00:00+8", "2026-09-01T10:00:00+08:0", "2026-09-01T10:00:00+08:00x", "2026-02-30T10:00:00Z",
        "20260901T100000Z",
    ])
    func rejectedForms(_ text: String) {
        #expect(Timestamp(iso: text) == nil, "\(text)")
    }
}
