/// RFC 3339 timestamps in UTC.
public enum Timestamp {
    public static func now() -> String {
        let (s, ns) = LibC.wallClock()
        return format(seconds: s, nanoseconds: ns)
    }

    public static func format(seconds: Int, nanoseconds: Int = 0) -> String {
        let f = LibC.utcFields(seconds)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let ms = nanoseconds / 1_000_000
        let msText = ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)"
        return "\(f.year)-\(two(f.month))-\(two(f.day))T\(two(f.hour)):\(two(f.minute)):\(two(f.second)).\(msText)Z"
    }

    /// "20261127-070701" for file names.
    public static func compact(seconds: Int) -> String {
        let f = LibC.utcFields(seconds)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(f.year)\(two(f.month))\(two(f.day))-\(two(f.hour))\(two(f.minute))\(two(f.second))"
    }

    /// Seconds since the epoch of an RFC 3339 UTC timestamp ("2026-11-27T07:07:01.123Z").
    public static func parse(_ text: String) -> Double? {
        let b = Array(text.utf8)
        guard b.count >= 20 else { return nil }
        func num(_ r: Range<Int>) -> Int? { Int(String(decoding: b[r], as: UTF8.self)) }
        guard let y = num(0..<4), let mo = num(5..<7), let d = num(8..<10), let h = num(11..<13),
              let mi = num(14..<16), let s = num(17..<19) else { return nil }
        var frac = 0.0
        if b.count > 20, b[19] == 0x2e {
            var i = 20, scale = 0.1
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                frac += Double(b[i] - 0x30) * scale
                scale /= 10
                i += 1
            }
        }
        return Double(LibC.timegmUTC(year: y, month: mo, day: d, hour: h, minute: mi, second: s)) + frac
    }
}
