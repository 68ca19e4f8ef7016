import Foundation
import Testing
import XiechaCore

@Suite("JSON parser and writer")
struct JSONTests {
    func parse(_ s: String) throws(JSONParseError) -> JSONValue { try JSONParser.parse(Array(s.utf8)) }

    @Test func values() throws {
        let v = try parse(#" {"a": [1, -2.5e3, true, false, null, "x"], "b": {}, "c": [], "a2": "\u00e9\ud83d\ude00\n\"\\/"} "#)
        #expect(v["a"] == .array([.number(1), .number(-2500), .bool(true), .bool(false), .null, .string("x")]))
        #expect(v["b"] == .object(JSONObject()))
        #expect(v["c"] == .array([]))
        #expect(v["a2"] == .string("é😀\n\"\\/"))
        #expect(try parse("\"王芳\"") == .string("王芳"))
        #expect(try parse("\u{FEFF}{}") == .object(JSONObject()))
    }

    @Test func lastDuplicateKeyWins() throws {
        #expect(try parse(#"{"k":1,"k":2}"#)["k"] == .number(2))
    }

    @Test(arguments: [
        "", " ", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "[1 2]", "01", "1.", "-", ".5", "1e", "tru",
        "nul", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"a\u{01}b\"", "{} {}", "{'a':1}",
        "NaN", "[1]x",
    ])
    func syntaxErrors(_ s: String) {
        #expect(throws: JSONParseError.self) { try parse(s) }
        do {
            _ = try parse(s)
        } catch {
            #expect(error.kind == .syntax)
        }
    }

    @Test func invalidUTF8IsItsOwnKind() {
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0xE4, 0xB8]] {
            do {
                _ = try JSONParser.parse(bytes)
                Issue.record("accepted \(bytes)")
            } catch {
                #expect(error.kind == .invalidUTF8)
            }
        }
    }

    @Test func depthLimit() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        _ = try parse(ok)
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(throws: JSONParseError.self) { try parse(deep) }
    }

    @Test func writerRoundTripsAndAgreesWithFoundation() throws {
        let text = #"{"s":"q\"b\\n\n\t\u0001é王","n":[0,-1,1.5,12345678901],"o":{"t":true,"f":false,"z":null},"e":[]}"#
        let v = try parse(text)
        var w = JSONWriter()
        w.value(v)
        #expect(try JSONParser.parse(w.bytes) == v)
        let foundation = try JSONSerialization.jsonObject(with: Data(w.bytes)) as? [String: Any]
        #expect(foundation?["s"] as? String == "q\"b\\n\n\t\u{01}é王")
    }

    @Test func writerDatesAndTimestamps() {
        var w = JSONWriter()
        w.beginArray()
        w.date(LocalDate(iso: "0999-01-02")!)
        w.timestamp(Timestamp(millisecondsSinceEpoch: -1))
        w.timestamp(Timestamp(iso: "2026-09-01T08:00:00.123+08:00")!)
        w.endArray()
        #expect(String(decoding: w.bytes, as: UTF8.self)
            == #"["0999-01-02","1969-12-31T23:59:59.999Z","2026-09-01T00:00:00.123Z"]"#)
    }
}
