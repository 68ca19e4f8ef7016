import Testing
import XiechaCore

@Suite("schemas/examples")
struct ExampleTests {
    static let valid = Repo.examples(valid: true)
    static let invalid = Repo.examples(valid: false)

    @Test func everyTopicHasEnoughExamples() {
        for topic in Topic.allCases {
            #expect(Self.valid.filter { $0.topic == topic }.count >= 5, "\(topic.rawValue) valid")
            #expect(Self.invalid.filter { $0.topic == topic }.count >= 5, "\(topic.rawValue) invalid")
        }
    }

    @Test(arguments: valid)
    func validExampleValidates(_ example: Repo.Example) throws {
        let reason = TopicValidator.validate(topic: example.topic, value: example.bytes)
        #expect(reason == nil, "\(example): \(reason?.description ?? "")")
        if Topic.departmentFeeds.contains(example.topic) {
            let result = IntakeProcessor().process(
                topic: example.topic, value: example.bytes, timestamp: Fixtures.timestamp,
                directory: Fixtures.directory)
            guard case .events(let events) = result else {
                Issue.record("\(example): \(result)")
                return
            }
            #expect(!events.isEmpty)
            #expect(try IntakeProcessor.recordKey(topic: example.topic, value: example.bytes) != nil)
        }
    }

    @Test(arguments: invalid)
    func invalidExampleIsRejectedWithItsReason(_ example: Repo.Example) throws {
        let expected = try #require(example.reason, "\(example) has no .reason")
        #expect(example.schemaVerdict == "reject" || example.schemaVerdict == "accept")
        let reason = TopicValidator.validate(topic: example.topic, value: example.bytes)
        #expect(reason?.code == expected, "\(example)")
        if Topic.departmentFeeds.contains(example.topic) {
            let result = IntakeProcessor().process(
                topic: example.topic, value: example.bytes, timestamp: Fixtures.timestamp,
                directory: Fixtures.directory)
            guard case .deadLetter(let r, _) = result else {
                Issue.record("\(example): expected a dead letter, got \(result)")
                return
            }
            #expect(r.code == expected)
        }
    }

    @Test func noReasonOrDetailContainsAnIDNumber() {
        for example in Self.invalid {
            guard let reason = TopicValidator.validate(topic: example.topic, value: example.bytes) else { continue }
            #expect(!containsFullIDNumber(reason.code), "\(example)")
            #expect(!containsFullIDNumber(reason.detail ?? ""), "\(example)")
            #expect(!containsFullIDNumber(reason.description), "\(example)")
            let letter = DeadLetter(topic: example.topic.rawValue, reason: reason, value: example.bytes)
            let headers = letter.kafkaHeaders.filter { $0.key != DeadLetter.Header.recordId }
            for h in headers { #expect(!containsFullIDNumber(String(decoding: h.value, as: UTF8.self))) }
            #expect(!containsFullIDNumber(String(decoding: letter.jsonBytes(includeValue: false), as: UTF8.self)))
        }
    }

    @Test func invalidExamplesCarryIDsInTheirValueSoTheScanAboveIsMeaningful() {
        #expect(Self.invalid.contains { containsFullIDNumber(String(decoding: $0.bytes, as: UTF8.self)) })
    }
}
