/// Scans process output for personal data: full resident ID numbers and full names
/// (DESIGN.md "Security and privacy": logs never contain a full ID number or full name).
enum PrivacyScan {
    /// Whether `line` holds 17 digits followed by a digit or X/x: the shape of a full ID number.
    static func containsIDNumberPattern(_ line: some StringProtocol) -> Bool {
        var run = 0
        for c in line.utf8 {
            if c >= 48 && c <= 57 {
                run += 1
                if run >= 18 { return true }
            } else if (c == UInt8(ascii: "X") || c == UInt8(ascii: "x")) && run >= 17 {
                return true
            } else {
                run = 0
            }
        }
        return false
    }

    /// `\uXXXX` escapes decoded (JSON log lines may escape non-ASCII text).
    static func unescapingUnicode(_ line: String) -> String {
        guard line.contains("\\u") else { return line }
        var out = String.UnicodeScalarView()
        let s = Array(line.unicodeScalars)
        var i = 0
        while i < s.count {
            if s[i] == "\\", i + 5 < s.count, s[i + 1] == "u",
                let v = UInt32(String(String.UnicodeScalarView(s[(i + 2)..<(i + 6)])), radix: 16), let u = Unicode.Scalar(v)
            {
                out.append(u)
                i += 6
            } else {
                out.append(s[i])
                i += 1
            }
        }
        return String(out)
    }

    /// One finding per offending line: which kind of personal data it holds (never the value
    /// itself, so a failing test does not print it either).
    static func findings(in lines: [(source: String, line: String)], idNumbers: Set<String>, names: Set<String>) -> [String] {
        var out: [String] = []
        for (n, entry) in lines.enumerated() {
            let text = unescapingUnicode(entry.line)
            var what: [String] = []
            // Any input ID number has the pattern's shape, so the (slower) exact check runs only then.
            if containsIDNumberPattern(text) {
                what.append("an 18-character ID number pattern")
                if idNumbers.contains(where: { text.contains($0) }) { what.append("an input ID number") }
            }
            if text.utf8.contains(where: { $0 >= 0x80 }), names.contains(where: { text.contains($0) }) {
                what.append("an input name")
            }
            if !what.isEmpty {
                out.append("\(entry.source) line \(n): \(what.joined(separator: ", ")) (line length \(entry.line.count))")
            }
        }
        return out
    }
}
