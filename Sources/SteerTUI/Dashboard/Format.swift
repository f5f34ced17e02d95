/// Number and text formatting for the panels, without Foundation.
public enum Format {
    /// The digits of `n` with a decimal point `point` digits from the right ("12.3" for
    /// 123 and 1), a minus sign and one suffix byte ("%", "k") if asked. Written straight
    /// into the string's storage, at most 15 bytes so that it stays a small (inline)
    /// string: the panels format a few hundred numbers a frame.
    static func number(_ n: Int, point: Int = 0, negative: Bool = false, suffix: UInt8 = 0) -> String {
        guard n.magnitude < 1_000_000_000_000 && point < 10 else {
            // Wider than any figure on screen; the slow way is fine.
            var s = String(n.magnitude)
            if point > 0 {
                s = String(repeating: "0", count: max(0, point + 1 - s.count)) + s
                s.insert(".", at: s.index(s.endIndex, offsetBy: -point))
            }
            if negative || n < 0 { s = "-" + s }
            if suffix != 0 { s.unicodeScalars.append(Unicode.Scalar(suffix)) }
            return s
        }
        return String(unsafeUninitializedCapacity: 15) { out in
            var i = 0
            if suffix != 0 { out[i] = suffix; i += 1 }
            var x = n.magnitude, d = 0
            repeat {
                if d == point && point > 0 { out[i] = 0x2E; i += 1 }
                out[i] = UInt8(truncatingIfNeeded: x % 10) + 0x30
                i += 1
                x /= 10
                d += 1
            } while x > 0 || d <= point
            if negative || n < 0 { out[i] = 0x2D; i += 1 }
            out[0..<i].reverse()
            return i
        }
    }

    /// `v` with `decimals` (0-6) digits after the point ("12.3"); "-" for NaN and infinities.
    static func fixed(_ v: Double, _ decimals: Int, suffix: UInt8 = 0) -> String {
        guard v.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(v) * scale).rounded()
        guard scaled < 9e15 else { return v < 0 ? "-huge" : "huge" }
        let n = Int(scaled)
        return number(n, point: decimals, negative: v < 0 && n != 0, suffix: suffix)
    }

    /// A whole percentage ("45"); never negative, "-" for NaN.
    static func percent(_ v: Double, suffix: UInt8 = 0) -> String {
        guard v.isFinite else { return "-" }
        return number(Int(min(max(0, v), 1e15).rounded()), suffix: suffix)
    }

    /// A count per second in at most 5 characters: "0", "999", "1.23k", "12.3k", "123k",
    /// "1.23M", ... ; "-" for NaN.
    static func si(_ v: Double) -> String {
        guard v.isFinite else { return "-" }
        let x = max(0, v)
        if x < 999.5 { return number(Int(x.rounded())) }
        var scaled = x / 1000
        for u in "kMGTP".utf8 {
            if scaled < 9.995 { return fixed(scaled, 2, suffix: u) }
            if scaled < 99.95 { return fixed(scaled, 1, suffix: u) }
            if scaled < 999.5 { return fixed(scaled, 0, suffix: u) }
            scaled /= 1000
        }
        return "huge"
    }

    /// Mb/s for a table column: a tenth below 100 ("12.3"), whole above ("21001"): digits
    /// past the fourth are noise at these rates, and every one of them changes each tick.
    static func mbit(_ bps: Double) -> String {
        let v = bps / 1e6
        return fixed(v, v.isFinite && abs(v) >= 99.95 ? 0 : 1)
    }

    /// A bit rate for people: "941.2 Mb/s" below 1 Gb/s, "9.41 Gb/s" above.
    static func bitRate(_ bps: Double) -> String { bitRate(bps, as: bps) }

    /// `bps` in the unit `scale` would get: a column of rates shares its largest value's
    /// unit ("0.50 Gb/s" beside "9.41 Gb/s", not "500.0 Mb/s").
    static func bitRate(_ bps: Double, as scale: Double) -> String {
        guard bps.isFinite else { return "-" }
        if scale.isFinite && scale >= 999.95e6 { return fixed(max(0, bps) / 1e9, 2) + " Gb/s" }
        return fixed(max(0, bps) / 1e6, 1) + " Mb/s"
    }

    /// Seconds of a recording as "h:mm:ss" ("0:01:23", "20:06:25"): the one clock format of
    /// replay, for the header, the status line and jumps alike.
    public static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "-:--:--" }
        let t = Int(min(max(0, seconds), 1e12).rounded(.down))
        let h = t / 3600, m = (t / 60) % 60, s = t % 60
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(h):\(two(m)):\(two(s))"
    }

    /// A short duration: "1s", "0.5s", "2.25s".
    static func seconds(_ s: Double) -> String { trimmed(s) + "s" }

    /// A replay speed: "4x", "0.5x".
    static func speed(_ x: Double) -> String { trimmed(x) + "x" }

    /// Up to 2 decimals, trailing zeros dropped ("1", "0.5", "0.25").
    static func trimmed(_ v: Double) -> String {
        var s = fixed(v, 2)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }

    /// Bytes with decimal units: "512 B", "45 KB", "1.2 MB".
    static func bytes(_ n: Int) -> String {
        let v = Double(max(0, n))
        if v < 1000 { return "\(n) B" }
        let units = ["KB", "MB", "GB", "TB"]
        var x = v / 1000
        for u in units {
            if x < 9.95 { return fixed(x, 1) + " " + u }
            if x < 999.5 || u == "TB" { return fixed(x, 0) + " " + u }
            x /= 1000
        }
        return "huge"
    }

    /// The last path component ("/var/lib/steertop/rec.jsonl" -> "rec.jsonl").
    static func basename(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), path.index(after: slash) < path.endIndex else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// Width in cells (every scalar takes one).
    @inline(__always)
    static func width(_ s: String) -> Int { s.unicodeScalars.count }

    /// `s` cut to `width` cells, the last one an ellipsis when something was cut.
    static func truncate(_ s: String, _ width: Int, ellipsis: Unicode.Scalar) -> String {
        guard width > 0 else { return "" }
        let scalars = s.unicodeScalars
        guard scalars.count > width else { return s }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars.prefix(width - 1))
        out.append(ellipsis)
        return String(out)
    }

    /// `s` right-aligned in `width` cells (cut from the left if longer).
    static func right(_ s: String, _ width: Int) -> String {
        let n = s.unicodeScalars.count
        if n >= width { return n == width ? s : String(String.UnicodeScalarView(s.unicodeScalars.suffix(width))) }
        return String(repeating: " ", count: width - n) + s
    }

    /// Digits needed for `n` (at least 1).
    static func digits(_ n: Int) -> Int {
        var d = 1, x = max(0, n)
        while x >= 10 { x /= 10; d += 1 }
        return d
    }
}
