/// Why a byte sequence is not a JSON document.
public struct JSONParseError: Error, Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// The bytes are not valid UTF-8.
        case invalidUTF8
        /// Not JSON: a syntax error, trailing data, or nesting deeper than the limit.
        case syntax
    }
    public var kind: Kind
    /// Byte offset where the problem was found.
    public var offset: Int
    /// A short, content-free description ("expected ':'").
    public var message: String
}

/// A strict RFC 8259 parser from UTF-8 bytes to `JSONValue`.
///
/// Checks UTF-8 validity of the whole input first (so `invalidUTF8` is distinguished from
/// syntax errors), skips a leading byte-order mark, rejects trailing data, unescaped control
/// characters, lone surrogates, leading zeros, and nesting deeper than `maxDepth`.
public enum JSONParser {
    public static let maxDepth = 64

    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError> =
            bytes.withContiguousStorageIfAvailable { buffer in Result { () throws(JSONParseError) in try parse(buffer: buffer) } }
            ?? Array(bytes).withUnsafeBufferPointer { buffer in Result { () throws(JSONParseError) in try parse(buffer: buffer) } }
        return try result.get()
    }

    public static func parse(buffer: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> JSONValue {
        if let bad = UTF8Validation.firstInvalidOffset(buffer) {
            throw JSONParseError(kind: .invalidUTF8, offset: bad, message: "invalid UTF-8")
        }
        var p = Parser(buffer: buffer)
        if buffer.count >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF { p.i = 3 }
        p.skipWhitespace()
        let v = try p.parseValue(depth: 0)
        p.skipWhitespace()
        guard p.i == buffer.count else { throw p.error("trailing data after the JSON value") }
        return v
    }

    private struct Parser {
        let b: UnsafeBufferPointer<UInt8>
        var i = 0

        init(buffer: UnsafeBufferPointer<UInt8>) { b = buffer }

        func error(_ message: String) -> JSONParseError {
            JSONParseError(kind: .syntax, offset: i, message: message)
        }

        @inline(__always) mutating func skipWhitespace() {
            while i < b.count {
                let c = b[i]
                if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 } else { return }
            }
        }

        mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
            guard i < b.count else { throw error("unexpected end of input") }
            switch b[i] {
            case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
            case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"):
                try expectLiteral("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try expectLiteral("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try expectLiteral("null")
                return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return .number(try parseNumber())
            default:
                throw error("unexpected character")
            }
        }

        mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
            let n = literal.utf8CodeUnitCount
            guard i + n <= b.count else { throw error("unexpected end of input") }
            let lp = literal.utf8Start
            for k in 0..<n where b[i + k] != lp[k] { throw error("invalid literal") }
            i += n
        }

        mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
            guard depth <= JSONParser.maxDepth else { throw error("nesting too deep") }
            i += 1  // {
            var object = JSONObject()
            skipWhitespace()
            if i < b.count, b[i] == UInt8(ascii: "}") {
                i += 1
                return .object(object)
            }
            object.keys.reserveCapacity(8)
            object.values.reserveCapacity(8)
            while true {
                skipWhitespace()
                guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw error("expected a member name") }
                let key = try parseString()
                skipWhitespace()
                guard i < b.count, b[i] == UInt8(ascii: ":") else { throw error("expected ':'") }
                i += 1
                skipWhitespace()
                let value = try parseValue(depth: depth)
                object.append(key, value)
                skipWhitespace()
                guard i < b.count else { throw error("unexpected end of input") }
                if b[i] == UInt8(ascii: ",") {
                    i += 1
                } else if b[i] == UInt8(ascii: "}") {
                    i += 1
                    return .object(object)
                } else {
                    throw error("expected ',' or '}'")
                }
            }
        }

        mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
            guard depth <= JSONParser.maxDepth else { throw error("nesting too deep") }
            i += 1  // [
            var items: [JSONValue] = []
            skipWhitespace()
            if i < b.count, b[i] == UInt8(ascii: "]") {
                i += 1
                return .array(items)
            }
            while true {
                skipWhitespace()
                items.append(try parseValue(depth: depth))
                skipWhitespace()
                guard i < b.count else { throw error("unexpected end of input") }
                if b[i] == UInt8(ascii: ",") {
                    i += 1
                } else if b[i] == UInt8(ascii: "]") {
                    i += 1
                    return .array(items)
                } else {
                    throw error("expected ',' or ']'")
                }
            }
        }

        /// Parses a string starting at the opening quote. The input is known to be valid UTF-8.
        mutating func parseString() throws(JSONParseError) -> String {
            i += 1  // opening quote
            let start = i
            // Fast path: no escapes.
            while i < b.count {
                let c = b[i]
                if c == UInt8(ascii: "\"") {
                    let s = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
                    i += 1
                    return s
                }
                if c == UInt8(ascii: "\\") { break }
                if c < 0x20 { throw error("unescaped control character in string") }
                i += 1
            }
            guard i < b.count else { throw error("unterminated string") }
            var out: [UInt8] = Array(UnsafeBufferPointer(rebasing: b[start..<i]))
            while i < b.count {
                let c = b[i]
                if c == UInt8(ascii: "\"") {
                    i += 1
                    return String(decoding: out, as: UTF8.self)
                }
                if c < 0x20 { throw error("unescaped control character in string") }
                if c != UInt8(ascii: "\\") {
                    out.append(c)
                    i += 1
                    continue
                }
                i += 1
                guard i < b.count else { throw error("unterminated string") }
                let e = b[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if scalar >= 0xD800 && scalar < 0xDC00 {
                        guard i + 1 < b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") else {
                            throw error("lone surrogate in \\u escape")
                        }
                        i += 2
                        let low = try hex4()
                        guard low >= 0xDC00 && low < 0xE000 else { throw error("lone surrogate in \\u escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if scalar >= 0xDC00 && scalar < 0xE000 {
                        throw error("lone surrogate in \\u escape")
                    }
                    appendUTF8(scalar, to: &out)
                default:
                    throw error("invalid escape")
                }
            }
            throw error("unterminated string")
        }

        mutating func hex4() throws(JSONParseError) -> UInt32 {
            guard i + 4 <= b.count else { throw error("truncated \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = b[i]
                let d: UInt32
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - 48)
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - 87)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - 55)
                default: throw error("invalid \\u escape")
                }
                v = v << 4 | d
                i += 1
            }
            return v
        }

        func appendUTF8(_ v: UInt32, to out: inout [UInt8]) {
            switch v {
            case 0..<0x80:
                out.append(UInt8(v))
            case 0x80..<0x800:
                out.append(UInt8(0xC0 | (v >> 6)))
                out.append(UInt8(0x80 | (v & 0x3F)))
            case 0x800..<0x10000:
                out.append(UInt8(0xE0 | (v >> 12)))
                out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
                out.append(UInt8(0x80 | (v & 0x3F)))
            default:
                out.append(UInt8(0xF0 | (v >> 18)))
                out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
                out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
                out.append(UInt8(0x80 | (v & 0x3F)))
            }
        }

        mutating func parseNumber() throws(JSONParseError) -> Double {
            let start = i
            if b[i] == UInt8(ascii: "-") { i += 1 }
            guard i < b.count else { throw error("invalid number") }
            if b[i] == UInt8(ascii: "0") {
                i += 1
            } else if b[i] >= UInt8(ascii: "1") && b[i] <= UInt8(ascii: "9") {
                while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
            } else {
                throw error("invalid number")
            }
            if i < b.count, b[i] == UInt8(ascii: ".") {
                i += 1
                let d = i
                while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
                guard i > d else { throw error("invalid number") }
            }
            if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
                i += 1
                if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
                let d = i
                while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
                guard i > d else { throw error("invalid number") }
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
            guard let v = Double(text) else { throw error("invalid number") }
            return v
        }
    }
}

/// UTF-8 well-formedness (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF).
public enum UTF8Validation {
    /// The offset of the first byte of the first ill-formed sequence, or `nil` if all is valid.
    public static func firstInvalidOffset(_ b: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = 0
        let n = b.count
        while i < n {
            // ASCII fast path, 8 bytes at a time.
            while i + 8 <= n {
                let w = UnsafeRawPointer(b.baseAddress! + i).loadUnaligned(as: UInt64.self)
                if w & 0x8080_8080_8080_8080 != 0 { break }
                i += 8
            }
            guard i < n else { return nil }
            let c0 = b[i]
            if c0 < 0x80 {
                i += 1
                continue
            }
            func cont(_ k: Int) -> Bool { k < n && b[k] & 0xC0 == 0x80 }
            if c0 >= 0xC2 && c0 <= 0xDF {
                guard cont(i + 1) else { return i }
                i += 2
            } else if c0 >= 0xE0 && c0 <= 0xEF {
                guard i + 1 < n else { return i }
                let c1 = b[i + 1]
                let lo: UInt8 = c0 == 0xE0 ? 0xA0 : 0x80
                let hi: UInt8 = c0 == 0xED ? 0x9F : 0xBF
                guard c1 >= lo, c1 <= hi, cont(i + 2) else { return i }
                i += 3
            } else if c0 >= 0xF0 && c0 <= 0xF4 {
                guard i + 1 < n else { return i }
                let c1 = b[i + 1]
                let lo: UInt8 = c0 == 0xF0 ? 0x90 : 0x80
                let hi: UInt8 = c0 == 0xF4 ? 0x8F : 0xBF
                guard c1 >= lo, c1 <= hi, cont(i + 2), cont(i + 3) else { return i }
                i += 4
            } else {
                return i
            }
        }
        return nil
    }

    public static func isValid(_ bytes: some Collection<UInt8>) -> Bool {
        if let r = bytes.withContiguousStorageIfAvailable({ firstInvalidOffset($0) == nil }) { return r }
        return Array(bytes).withUnsafeBufferPointer { firstInvalidOffset($0) == nil }
    }
}
