/// Makes text that came from a file or another process harmless for a terminal.
///
/// One visible convention for every command: a C0 control character or DEL becomes `\xHH`
/// (ESC is `\x1b`), a C1 control character (U+0080…U+009F, which some terminals take as
/// CSI, OSC…) becomes `\u00HH`, and the bidirectional overrides and isolates (U+202A…U+202E,
/// U+2066…U+2069), which reorder what a reader sees, become `\u20HH`. Everything else is
/// kept as it is, so text without control characters is returned unchanged.
public enum TerminalText {
    /// The default bound of one field or message, in bytes of its UTF-8.
    public static let defaultLimit = 1024

    /// `text` with every control character escaped, and cut after `limit` bytes of
    /// output with "…(N more bytes)". `keepLineBreaks` keeps "\n" and "\t" (whole reports
    /// on stdout); without it a message stays on one line.
    public static func escape(_ text: String, limit: Int? = defaultLimit, keepLineBreaks: Bool = false) -> String {
        if isHarmless(text, keepLineBreaks: keepLineBreaks), limit.map({ text.utf8.count <= $0 }) ?? true { return text }
        var out = ""
        var used = 0
        var scalars = text.unicodeScalars[...]
        while let s = scalars.first {
            let piece = escaped(s, keepLineBreaks: keepLineBreaks)
            if let limit, used + piece.utf8.count > limit {
                let rest = scalars.reduce(0) { $0 + String($1).utf8.count }
                out += "…(\(rest) more bytes)"
                return out
            }
            out += piece
            used += piece.utf8.count
            scalars = scalars.dropFirst()
        }
        return out
    }

    /// True when `text` holds nothing `escape` would change (no length check).
    public static func isHarmless(_ text: String, keepLineBreaks: Bool = false) -> Bool {
        var bytes = text.utf8.makeIterator()
        var previous: UInt8 = 0
        var beforePrevious: UInt8 = 0
        while let b = bytes.next() {
            if b < 0x20 || b == 0x7f {
                if !(keepLineBreaks && (b == 0x0a || b == 0x09)) { return false }
            }
            // C1 in UTF-8: C2 80…C2 9F.
            if previous == 0xc2 && b >= 0x80 && b <= 0x9f { return false }
            // U+202A…U+202E: E2 80 AA…AE; U+2066…U+2069: E2 81 A6…A9.
            if beforePrevious == 0xe2 {
                if previous == 0x80 && b >= 0xaa && b <= 0xae { return false }
                if previous == 0x81 && b >= 0xa6 && b <= 0xa9 { return false }
            }
            beforePrevious = previous
            previous = b
        }
        return true
    }

    static func escaped(_ s: Unicode.Scalar, keepLineBreaks: Bool) -> String {
        let v = s.value
        if v < 0x20 || v == 0x7f {
            if keepLineBreaks && (v == 0x0a || v == 0x09) { return String(s) }
            return "\\x" + hex2(v)
        }
        if (0x80...0x9f).contains(v) { return "\\u00" + hex2(v) }
        if (0x202a...0x202e).contains(v) || (0x2066...0x2069).contains(v) {
            return "\\u" + String(v, radix: 16)
        }
        return String(s)
    }

    static func hex2(_ v: UInt32) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(v >> 4) & 15], digits[Int(v) & 15]])
    }

    /// A CSV field per RFC 4180: quoted when it holds a comma, a double quote, CR or LF,
    /// with its double quotes doubled; its control characters escaped first.
    public static func csvField(_ text: String, limit: Int? = defaultLimit) -> String {
        let t = escape(text, limit: limit)
        guard t.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) else { return t }
        return "\"" + t.replacingAll("\"", with: "\"\"") + "\""
    }

    /// A GitHub markdown table cell: control characters escaped, `|` as `\|` (a line
    /// break cannot survive: `escape` has already made it `\x0a`).
    public static func markdownCell(_ text: String, limit: Int? = defaultLimit) -> String {
        let t = escape(text, limit: limit)
        guard t.contains("|") else { return t }
        return t.replacingAll("|", with: "\\|")
    }
}

extension String {
    /// Every occurrence of `target` replaced (Foundation's replacingOccurrences without Foundation).
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
