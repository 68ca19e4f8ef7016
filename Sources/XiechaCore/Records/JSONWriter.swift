/// Appends compact JSON to a byte buffer. Used for the hot-path encodings (person events,
/// dead letters) where `JSONEncoder` would cost more than the rest of intake together.
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 512) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    // MARK: structure

    public mutating func beginObject() {
        separator()
        bytes.append(UInt8(ascii: "{"))
    }

    public mutating func endObject() { bytes.append(UInt8(ascii: "}")) }

    public mutating func beginArray() {
        separator()
        bytes.append(UInt8(ascii: "["))
    }

    public mutating func endArray() { bytes.append(UInt8(ascii: "]")) }

    /// Writes `"key":`; the next value call writes the member's value.
    public mutating func key(_ key: String) {
        separator()
        writeQuoted(key)
        bytes.append(UInt8(ascii: ":"))
    }

    /// Writes `"key":` for a key that needs no escaping (a literal).
    public mutating func key(_ key: StaticString) {
        separator()
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    /// A comma is needed unless this is the first thing in an object or array, or a member's
    /// value right after its key. The previous byte tells which (a string always ends in `"`).
    @inline(__always) private mutating func separator() {
        guard let last = bytes.last else { return }
        if last != UInt8(ascii: "{") && last != UInt8(ascii: "[") && last != UInt8(ascii: ":") {
            bytes.append(UInt8(ascii: ","))
        }
    }

    // MARK: values

    public mutating func string(_ s: String) {
        separator()
        writeQuoted(s)
    }

    public mutating func null() {
        separator()
        bytes.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
    }

    public mutating func bool(_ v: Bool) {
        separator()
        if v {
            bytes.append(contentsOf: [0x74, 0x72, 0x75, 0x65])
        } else {
            bytes.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65])
        }
    }

    public mutating func int(_ v: Int64) {
        separator()
        bytes.append(contentsOf: String(v).utf8)
    }

    public mutating func number(_ v: Double) {
        separator()
        if v == v.rounded(), abs(v) < 9.0e15 {
            bytes.append(contentsOf: String(Int64(v)).utf8)
        } else if v.isFinite {
            bytes.append(contentsOf: "\(v)".utf8)
        } else {
            bytes.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        }
    }

    /// Writes any `JSONValue`.
    public mutating func value(_ v: JSONValue) {
        switch v {
        case .null: null()
        case .bool(let b): bool(b)
        case .number(let d): number(d)
        case .string(let s): string(s)
        case .array(let items):
            beginArray()
            for item in items { value(item) }
            endArray()
        case .object(let o):
            beginObject()
            for (k, item) in zip(o.keys, o.values) {
                key(k)
                value(item)
            }
            endObject()
        }
    }

    // MARK: convenience members

    public mutating func member(_ k: StaticString, _ v: String) {
        key(k)
        string(v)
    }

    public mutating func member(_ k: StaticString, ifPresent v: String?) {
        guard let v else { return }
        key(k)
        string(v)
    }

    public mutating func member(_ k: StaticString, _ v: LocalDate) {
        key(k)
        date(v)
    }

    public mutating func member(_ k: StaticString, ifPresent v: LocalDate?) {
        guard let v else { return }
        key(k)
        date(v)
    }

    /// `"YYYY-MM-DD"`.
    public mutating func date(_ d: LocalDate) {
        separator()
        let (y, m, day) = d.components
        bytes.append(UInt8(ascii: "\""))
        appendDigits(y, 4)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(m, 2)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(day, 2)
        bytes.append(UInt8(ascii: "\""))
    }

    /// `"YYYY-MM-DDTHH:MM:SS.mmmZ"`, the same text as `Timestamp.description`.
    public mutating func timestamp(_ t: Timestamp) {
        let ms = t.millisecondsSinceEpoch
        var secs = ms / 1000
        var millis = ms % 1000
        if millis < 0 {
            millis += 1000
            secs -= 1
        }
        var days = secs / 86_400
        var sod = secs % 86_400
        if sod < 0 {
            sod += 86_400
            days -= 1
        }
        date(LocalDate(daysSinceEpoch: Int(days)))
        bytes.removeLast()  // reopen the string
        bytes.append(UInt8(ascii: "T"))
        appendDigits(Int(sod / 3600), 2)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(Int(sod / 60 % 60), 2)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(Int(sod % 60), 2)
        bytes.append(UInt8(ascii: "."))
        appendDigits(Int(millis), 3)
        bytes.append(UInt8(ascii: "Z"))
        bytes.append(UInt8(ascii: "\""))
    }

    @inline(__always) private mutating func appendDigits(_ v: Int, _ width: Int) {
        guard v >= 0 else {
            bytes.append(contentsOf: String(v).utf8)
            return
        }
        var div = 1
        for _ in 1..<width { div *= 10 }
        var v = v
        if v >= div * 10 {
            bytes.append(contentsOf: String(v).utf8)
            return
        }
        while div > 0 {
            bytes.append(UInt8(48 + v / div))
            v %= div
            div /= 10
        }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func writeQuoted(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { u in
            var runStart = 0
            for i in 0..<u.count {
                let c = u[i]
                guard c < 0x20 || c == 0x22 || c == 0x5C else { continue }
                if runStart < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[runStart..<i])) }
                runStart = i + 1
                bytes.append(UInt8(ascii: "\\"))
                switch c {
                case 0x22: bytes.append(0x22)
                case 0x5C: bytes.append(0x5C)
                case 0x0A: bytes.append(UInt8(ascii: "n"))
                case 0x0D: bytes.append(UInt8(ascii: "r"))
                case 0x09: bytes.append(UInt8(ascii: "t"))
                case 0x08: bytes.append(UInt8(ascii: "b"))
                case 0x0C: bytes.append(UInt8(ascii: "f"))
                default:
                    bytes.append(contentsOf: [UInt8(ascii: "u"), 0x30, 0x30, Self.hex[Int(c >> 4)], Self.hex[Int(c & 0xF)]])
                }
            }
            if runStart < u.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[runStart..<u.count])) }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
