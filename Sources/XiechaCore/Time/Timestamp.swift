/// An instant, in milliseconds since 1970-01-01T00:00:00Z.
///
/// Event time in Xiecha is the source record's timestamp; rules turn it into a calendar day in
/// the jurisdiction's time zone with `localDate(utcOffsetSeconds:)`.
public struct Timestamp: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var millisecondsSinceEpoch: Int64

    public init(millisecondsSinceEpoch: Int64) { self.millisecondsSinceEpoch = millisecondsSinceEpoch }

    /// Midnight at the start of `date` in a zone `utcOffsetSeconds` east of UTC.
    public init(startOf date: LocalDate, utcOffsetSeconds: Int) {
        self.millisecondsSinceEpoch = Int64(date.daysSinceEpoch * 86_400 - utcOffsetSeconds) * 1000
    }

    /// The calendar day this instant falls on in a zone `utcOffsetSeconds` east of UTC.
    public func localDate(utcOffsetSeconds: Int) -> LocalDate {
        let seconds = Int(millisecondsSinceEpoch.dividedRoundingDown(by: 1000)) + utcOffsetSeconds
        return LocalDate(daysSinceEpoch: seconds.dividedRoundingDown(by: 86_400))
    }

    /// Parses ISO-8601 / RFC 3339 in extended form: `2026-09-01T08:00:00Z`,
    /// `2026-09-01T08:00:00.123456+08:00`, `2026-09-01t08:00z`, `2026-09-01 08:00:00+0800`,
    /// `…+08`; fractions are cut to milliseconds. A bare date `2026-09-01` is midnight UTC.
    public init?(iso string: some StringProtocol) {
        self.init(iso: string, zonelessUTCOffsetSeconds: nil)
    }

    /// As `init?(iso:)`, but a date-time without a zone (`2026-09-01T08:00:00`) and a bare date
    /// are read in the zone `zonelessUTCOffsetSeconds` east of UTC (a local time) when it is given;
    /// without it a zone is required and a bare date is midnight UTC.
    public init?(iso string: some StringProtocol, zonelessUTCOffsetSeconds: Int?) {
        let u = Array(string.utf8)
        guard u.count >= 10, let date = LocalDate(iso: String(decoding: u[0..<10], as: UTF8.self)) else { return nil }
        if u.count == 10 {
            self.init(startOf: date, utcOffsetSeconds: zonelessUTCOffsetSeconds ?? 0)
            return
        }
        // `T` (or `t`, or a space), HH:MM, then optionally :SS.
        guard u.count >= 16, u[10] == UInt8(ascii: "T") || u[10] == UInt8(ascii: "t") || u[10] == UInt8(ascii: " "),
            u[13] == UInt8(ascii: ":")
        else { return nil }
        func num(_ a: Int, _ b: Int) -> Int? {
            var v = 0
            for i in a..<b {
                guard i < u.count, u[i] >= 48, u[i] <= 57 else { return nil }
                v = v * 10 + Int(u[i] - 48)
            }
            return v
        }
        guard let hh = num(11, 13), let mm = num(14, 16), hh < 24, mm < 60 else { return nil }
        var ss = 0
        var i = 16
        if i < u.count, u[i] == UInt8(ascii: ":") {
            guard let s = num(17, 19), s < 61 else { return nil }
            ss = s
            i = 19
        }
        var millis = 0
        if i < u.count, u[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < u.count, u[i] >= 48, u[i] <= 57 {
                if digits < 3 { millis = millis * 10 + Int(u[i] - 48) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            if digits < 3 { for _ in digits..<3 { millis *= 10 } }  // more than 3 digits: cut to milliseconds
        }
        var offset = 0
        if i == u.count {
            guard let local = zonelessUTCOffsetSeconds else { return nil }  // a zone is required
            offset = local
        } else if u[i] == UInt8(ascii: "Z") || u[i] == UInt8(ascii: "z") {
            i += 1
        } else if u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-") {
            // ±HH:MM, ±HHMM or ±HH.
            let sign = u[i] == UInt8(ascii: "-") ? -1 : 1
            guard let oh = num(i + 1, i + 3), oh < 24 else { return nil }
            var j = i + 3
            var om = 0
            if j < u.count {
                if u[j] == UInt8(ascii: ":") { j += 1 }
                guard let m = num(j, j + 2), m < 60 else { return nil }
                om = m
                j += 2
            }
            offset = sign * (oh * 3600 + om * 60)
            i = j
        } else {
            return nil
        }
        guard i == u.count else { return nil }
        let secs = date.daysSinceEpoch * 86_400 + hh * 3600 + mm * 60 + ss - offset
        self.init(millisecondsSinceEpoch: Int64(secs) * 1000 + Int64(millis))
    }

    /// RFC 3339 in UTC with milliseconds: `2026-09-01T00:00:00.000Z`.
    public var description: String {
        let totalSeconds = Int(millisecondsSinceEpoch.dividedRoundingDown(by: 1000))
        let ms = Int(millisecondsSinceEpoch - Int64(totalSeconds) * 1000)
        let day = totalSeconds.dividedRoundingDown(by: 86_400)
        let sod = totalSeconds - day * 86_400
        let date = LocalDate(daysSinceEpoch: day)
        let msText = ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)"
        return "\(date)T\(String(format2: sod / 3600)):\(String(format2: sod / 60 % 60)):\(String(format2: sod % 60)).\(msText)Z"
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let s = try container.decode(String.self)
        guard let t = Timestamp(iso: s) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ISO-8601 timestamp: \(s)")
        }
        self = t
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension BinaryInteger {
    /// Floor division (Swift's `/` truncates toward zero).
    func dividedRoundingDown(by d: Self) -> Self {
        let q = self / d
        return (self % d != 0 && ((self < 0) != (d < 0))) ? q - 1 : q
    }
}
