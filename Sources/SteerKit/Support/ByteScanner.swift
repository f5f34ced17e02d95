/// A cursor over bytes for the kernel's text formats: no String is made unless asked.
public struct ByteScanner {
    public let bytes: UnsafeRawBufferPointer
    public var index: Int
    /// `bytes` as a typed pointer and a count: read per byte on the hot paths (the kernel's
    /// files every tick, iperf3's lines), where the buffer's optional base would be
    /// unwrapped at every read.
    @usableFromInline let p: UnsafePointer<UInt8>
    @usableFromInline let n: Int

    public init(_ bytes: UnsafeRawBufferPointer, index: Int = 0) {
        self.bytes = bytes
        self.index = index
        if let base = bytes.baseAddress {
            p = base.assumingMemoryBound(to: UInt8.self)
            n = bytes.count
        } else {
            // An empty buffer: with n = 0 nothing is ever read through p.
            p = UnsafePointer(bitPattern: 1)!
            n = 0
        }
    }

    public var atEnd: Bool { index >= n }

    @inline(__always)
    public var peek: UInt8 { index < n ? p[index] : 0 }

    /// Skips spaces and tabs (not newlines).
    @inline(__always)
    public mutating func skipBlanks() {
        while index < n, p[index] == 0x20 || p[index] == 0x09 { index += 1 }
    }

    /// Moves past the next newline (or to the end).
    @inline(__always)
    public mutating func nextLine() {
        while index < n, p[index] != 0x0a { index += 1 }
        if index < n { index += 1 }
    }

    /// True at a newline or the end (after blanks).
    public mutating func atLineEnd() -> Bool {
        skipBlanks()
        return index >= n || p[index] == 0x0a
    }

    /// Whether the bytes at the cursor start with `prefix` (ASCII).
    @inline(__always)
    public func hasPrefix(_ prefix: StaticString) -> Bool {
        let m = prefix.utf8CodeUnitCount
        guard index + m <= n else { return false }
        let w = prefix.utf8Start
        for k in 0..<m where p[index + k] != w[k] { return false }
        return true
    }


    /// An unsigned decimal after blanks; nil if there is none.
    @inline(__always)
    public mutating func unsigned() -> UInt64? {
        skipBlanks()
        var value: UInt64 = 0
        let start = index
        while index < n {
            let d = p[index] &- 0x30
            if d > 9 { break }
            value = value &* 10 &+ UInt64(d)
            index += 1
        }
        return index > start ? value : nil
    }

    /// An unsigned hexadecimal after blanks; nil if there is none.
    @inline(__always)
    public mutating func hex() -> UInt64? {
        skipBlanks()
        var value: UInt64 = 0
        let start = index
        while index < n {
            let c = p[index]
            let d: UInt8
            switch c {
            case 0x30...0x39: d = c - 0x30
            case 0x61...0x66: d = c - 0x61 + 10
            case 0x41...0x46: d = c - 0x41 + 10
            default: return index > start ? value : nil
            }
            value = value << 4 | UInt64(d)
            index += 1
        }
        return index > start ? value : nil
    }

    /// The next run of non-blank bytes as a String (after blanks).
    public mutating func word() -> String {
        skipBlanks()
        let start = index
        while index < n, p[index] != 0x20, p[index] != 0x09, p[index] != 0x0a { index += 1 }
        return String(decoding: UnsafeBufferPointer(start: p + start, count: index - start), as: UTF8.self)
    }

    /// Bytes up to (not including) `delimiter` on this line, as a String; the cursor moves
    /// past the delimiter. nil if the line has none.
    public mutating func upTo(_ delimiter: UInt8) -> String? {
        let start = index
        var i = index
        while i < n, p[i] != delimiter, p[i] != 0x0a { i += 1 }
        guard i < n, p[i] == delimiter else { return nil }
        index = i + 1
        return String(decoding: UnsafeBufferPointer(start: p + start, count: i - start), as: UTF8.self)
    }

    // MARK: one line (iperf3's text output reads with these)

    /// Consumes `byte` if it is next.
    @inline(__always)
    public mutating func eat(_ byte: UInt8) -> Bool {
        guard index < n, p[index] == byte else { return false }
        index += 1
        return true
    }

    /// Consumes `word` if the bytes continue with it.
    @inline(__always)
    public mutating func eat(_ word: StaticString) -> Bool {
        guard hasPrefix(word) else { return false }
        index += word.utf8CodeUnitCount
        return true
    }

    /// Whether the bytes before `end` finish with `word` (which starts at or after the cursor).
    @inline(__always)
    public func endsWith(_ word: StaticString, at end: Int) -> Bool {
        let m = word.utf8CodeUnitCount
        guard end - m >= index else { return false }
        let w = word.utf8Start
        for k in 0..<m where p[end - m + k] != w[k] { return false }
        return true
    }

    /// The end of the bytes without their trailing blanks (not before the cursor).
    @inline(__always)
    public var trimmedEnd: Int {
        var end = n
        while end > index, p[end - 1] == 0x20 || p[end - 1] == 0x09 { end -= 1 }
        return end
    }

    /// Moves past the next `byte` (or to the end).
    public mutating func skip(past byte: UInt8) {
        while index < n, p[index] != byte { index += 1 }
        if index < n { index += 1 }
    }

    /// An unsigned decimal of at most 18 digits at the cursor (no blanks skipped).
    @inline(__always)
    public mutating func integer() -> Int? {
        var v = 0
        let start = index
        while index < n, case let d = p[index] &- 0x30, d < 10, index - start < 18 {
            v = v * 10 + Int(d)
            index += 1
        }
        return index > start ? v : nil
    }

    /// The rest without trailing blanks, as a String; the cursor moves to the end.
    public mutating func rest() -> String {
        let end = trimmedEnd
        defer { index = n }
        return String(decoding: UnsafeBufferPointer(start: p + index, count: end - index), as: UTF8.self)
    }
}
