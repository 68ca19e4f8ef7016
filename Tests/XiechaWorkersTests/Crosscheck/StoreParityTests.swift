import Foundation
import Logging
import Testing
import XiechaCore
import XiechaStore
import XiechaWorkers

@Suite("Crosscheck processor on real stores", .timeLimit(.minutes(10)))
struct StoreParityTests {
    static let logger = Logger(label: "parity", factory: { _ in SwiftLogNoOpLogHandler() })
    static let now = Timestamp(startOf: LocalDate(year: 2026, month: 6, day: 1)!, utcOffsetSeconds: 8 * 3600)

    static func run(_ events: [PersonEvent], store: any StateStore, twice: Bool = false) async throws -> (alerts: [String: [UInt8]], persons: [String: [UInt8]], messages: Int) {
        let processor = CrosscheckProcessor(store: store, engine: CrosscheckEngine(), logger: logger)
        var messages = 0
        for pass in 0..<(twice ? 2 : 1) {
            var i = 0
            while i < events.count {
                let batch = Array(events[i..<min(i + 2_000, events.count)])
                let outcome = try await processor.process(batch, now: now)
                if pass == 1 { #expect(outcome.applied == 0 && outcome.messages.isEmpty, "a replayed event changed something") }
                messages += outcome.messages.count
                i += 2_000
            }
        }
        messages += try await processor.advance(to: now).count
        var alerts: [String: [UInt8]] = [:]
        for a in try await store.alerts() { alerts[a.alertId] = a.payload }
        let keys = Set(events.map { PersonRefKey(secret: RulesConfiguration().personRefSecret).personRef(idNumber: $0.person.idNumber) })
        let persons = try await store.persons(Array(keys)).mapValues(\.state)
        return (alerts, persons, messages)
    }

    @Test("Every event delivered twice gives the same alerts and state as once")
    func idempotence() async throws {
        let events = SyntheticEvents.make(persons: 3_000, seed: 99)
        let once = InMemoryStateStore()
        try await once.migrate()
        let twice = InMemoryStateStore()
        try await twice.migrate()
        let a = try await Self.run(events, store: once)
        let b = try await Self.run(events, store: twice, twice: true)
        #expect(a.alerts.count > 300)
        #expect(a.alerts == b.alerts)
        #expect(a.persons == b.persons)
        #expect(a.messages == b.messages, "the replay published nothing new")
    }

    @Test("50,000 events through SQLite and PostgreSQL give identical alerts and state")
    func parity() async throws {
        let events = SyntheticEvents.make(persons: 12_500)
        #expect(events.count == 50_000)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("parity-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let sqlite = try await makeStateStore(url: "sqlite:\(dir.path)/state.sqlite", logger: Self.logger)
        let viaSQLite = try await Self.run(events, store: sqlite)
        try await sqlite.close()

        guard let pg = ProcessInfo.processInfo.environment["XIECHA_TEST_POSTGRES_URL"], !pg.isEmpty else {
            Issue.record("XIECHA_TEST_POSTGRES_URL is not set; `make test` starts a throw-away PostgreSQL and sets it")
            return
        }
        let schema = "parity_\(UInt32.random(in: 0...UInt32.max))"
        let postgres = try await makeStateStore(url: pg + (pg.contains("?") ? "&" : "?") + "schema=\(schema)", logger: Self.logger)
        let viaPostgres = try await Self.run(events, store: postgres)
        try await postgres.close()


        #expect(viaSQLite.alerts.count > 1_000, "the stream raises alerts (\(viaSQLite.alerts.count))")
        #expect(viaSQLite.persons.count == 12_500)
        #expect(viaSQLite.alerts == viaPostgres.alerts)
        #expect(viaSQLite.persons == viaPostgres.persons)
        #expect(viaSQLite.messages == viaPostgres.messages)
        // Every alert type the stream is built to raise is there.
        let types = Set(viaSQLite.alerts.values.compactMap { try? JSONDecoder().decode(AlertMessage.self, from: Data($0)).type })
        for t in [AlertType.certificateMissing, .certificateExpired, .maritalStatusChanged, .movedIn, .movedOut] {
            #expect(types.contains(t), "no \(t) alert")
        }
    }
}
