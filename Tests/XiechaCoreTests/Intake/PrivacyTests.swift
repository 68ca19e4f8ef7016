import Testing
import XiechaCore

@Suite("Masking and personRef")
struct PrivacyTests {
    @Test func maskIDNumber() {
        #expect(Masking.maskIDNumber("42112519900307002X") == "4211**********002X")
        #expect(Masking.maskIDNumber("421125199003070024") == "4211**********0024")
        #expect(Masking.maskIDNumber("421125900307002") == "4*************2")
        #expect(Masking.maskIDNumber("123") == "***")
        #expect(!containsFullIDNumber(Masking.maskIDNumber("421125199003070024")))
    }

    @Test func maskName() {
        #expect(Masking.maskName("王芳") == "王*")
        #expect(Masking.maskName("欧阳娜娜") == "欧***")
        #expect(Masking.maskName("王") == "*")  // the whole name otherwise
        #expect(Masking.maskName("葛\u{E0100}芳") == "葛*")  // a variation selector stays hidden: one scalar shown
        #expect(Masking.maskName("e\u{301}va") == "e**")
        #expect(Masking.maskName("") == "")
        #expect(Masking.maskName("阿依古丽·买买提") == "阿*******")
    }

    @Test func personRef() {
        let key = PersonRefKey(secret: "test-secret")
        let a = key.personRef(idNumber: "421125199003070024")
        #expect(a.count == 64)
        #expect(a.allSatisfy { "0123456789abcdef".contains($0) })
        #expect(a == key.personRef(idNumber: "421125199003070024"))
        #expect(a != key.personRef(idNumber: "510623199405121280"))
        #expect(a != PersonRefKey(secret: "other").personRef(idNumber: "421125199003070024"))
        // RFC 4231 test case 2: HMAC-SHA256("Jefe", "what do ya want for nothing?")
        #expect(PersonRefKey(secret: "Jefe").personRef(idNumber: "what do ya want for nothing?")
            == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func personRefUsesTheNormalisedID() throws {
        let key = PersonRefKey(secret: "k")
        let id = try IDNumber(validating: "１１０１０５１９４９１２３１００２ｘ")
        #expect(key.personRef(id) == key.personRef(idNumber: "11010519491231002X"))
    }

    @Test func deadLetterJSONRoundTrip() throws {
        let reason = DeadLetterReason(.invalidDate, path: "validUntil", detail: "not a real date")
        let text = DeadLetter(topic: Topic.residencePermits.rawValue, partition: 3, offset: 42, recordId: "rp-1",
            reason: reason, value: Array(#"{"a":"王"}"#.utf8))
        let back = try DeadLetter(jsonBytes: text.jsonBytes())
        #expect(back == text)
        #expect(back.reason.detail == "not a real date")
        #expect(TopicValidator.validate(topic: .deadLetters, value: text.jsonBytes()) == nil)

        let binary = DeadLetter(topic: "t", reason: DeadLetterReason(.invalidUTF8), value: [0xFF, 0x00, 0x80, 1, 2])
        let json = String(decoding: binary.jsonBytes(), as: UTF8.self)
        #expect(json.contains(#""valueEncoding":"base64""#))
        #expect(try DeadLetter(jsonBytes: binary.jsonBytes()) == binary)

        let tombstone = DeadLetter(topic: "t", reason: DeadLetterReason(.emptyValue), value: nil)
        #expect(String(decoding: tombstone.jsonBytes(), as: UTF8.self) == #"{"topic":"t","reason":"empty_value","value":null}"#)
        #expect(try DeadLetter(jsonBytes: tombstone.jsonBytes()) == tombstone)
        #expect(!String(decoding: text.jsonBytes(includeValue: false), as: UTF8.self).contains("value"))
        #expect(text.kafkaHeaders.map(\.key) == [
            "xiecha.reason", "xiecha.source.topic", "xiecha.source.partition", "xiecha.source.offset",
            "xiecha.record-id", "xiecha.detail",
        ])
    }

    @Test func base64() {
        for n in 0..<10 {
            let bytes = (0..<n).map { UInt8(($0 * 97 + 13) & 0xFF) }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
        #expect(Base64.encode(Array("foobar".utf8)) == "Zm9vYmFy")
        #expect(Base64.encode(Array("fo".utf8)) == "Zm8=")
        #expect(Base64.decode("Zm8") == nil)
        #expect(Base64.decode("Z!==") == nil)
    }

    @Test func reasonCodes() {
        #expect(DeadLetterReason(.missingField, path: "person.idNumber").code == "missing_field:person.idNumber")
        #expect(DeadLetterReason(code: "wrong_type:parties[1].sex") == DeadLetterReason(.wrongType, path: "parties[1].sex"))
        #expect(TopicValidator.isReasonCode("missing_field:parties[1].idNumber"))
        #expect(!TopicValidator.isReasonCode("Missing"))
        #expect(!TopicValidator.isReasonCode("a:"))
    }
}
