/// A reusable byte buffer that JSON is written into by hand: keys in a fixed order,
/// numbers with a fixed number of decimals, no Foundation and no allocation once warm.
/// The caller writes the punctuation it needs with `key`/`comma`-aware helpers.
public struct JSONBuffer {
    public var bytes: [UInt8]
    /// Whether the next member or element needs a comma before it, per open container.
    private var needsComma: [Bool] = []

    public init(capacity: Int = 4096) {
        bytes = []
        bytes.reserveCapacity(capacity)
        needsComma.reserveCapacity(8)
    }

    public mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        needsComma.removeAll(keepingCapacity: true)
        afterKey = false
    }

    /// Set after a key: the value that follows takes no comma.
    private var afterKey = false

    @inline(__always)
    mutating func separator() {
        if afterKey {
            afterKey = false
            return
        }
        if let last = needsComma.last {
            if last { bytes.append(0x2c) } else { needsComma[needsComma.count - 1] = true }
        }
    }

    public mutating func beginObject() {
        separator()
        bytes.append(0x7b)
        needsComma.append(false)
    }

    public mutating func endObject() {
        needsComma.removeLast()
        bytes.append(0x7d)
    }

    public mutating func beginArray() {
        separator()
        bytes.append(0x5b)
        needsComma.append(false)
    }

    public mutating func endArray() {
        needsComma.removeLast()
        bytes.append(0x5d)
    }

    /// Writes `"name":` (the name must not need escaping: keys are ours).
    @inline(__always)
    public mutating func key(_ name: StaticString) {
        separator()
        bytes.append(0x22)
        bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        bytes.append(0x22)
        bytes.append(0x3a)
        afterKey = true
    }

    @inline(__always)
    mutating func valueStart() { separator() }

    mutating func markAfterKey() { afterKey = true }

    public mutating func string(_ s: String) {
        valueStart()
        appendQuoted(s)
    }

    public mutating func stringOrNull(_ s: String?) {
        if let s { string(s) } else { null() }
    }

    public mutating func null() {
        valueStart()
        bytes.append(contentsOf: [0x6e, 0x75, 0x6c, 0x6c])
    }

    public mutating func bool(_ v: Bool) {
        valueStart()
        if v { bytes.append(contentsOf: [0x74, 0x72, 0x75, 0x65]) } else { bytes.append(contentsOf: [0x66, 0x61, 0x6c, 0x73, 0x65]) }
    }

    public mutating func int(_ v: Int) {
        valueStart()
        appendInt(v)
    }

    public mutating func intOrNull(_ v: Int?) {
        if let v { int(v) } else { null() }
    }

    /// A number with at most `decimals` digits after the point, trailing zeros dropped
    /// ("12.5", "100", "0.03"); non-finite values become null.
    public mutating func number(_ v: Double, decimals: Int) {
        valueStart()
        appendFixed(v, decimals: decimals)
    }

    public mutating func numberOrNull(_ v: Double?, decimals: Int) {
        if let v { number(v, decimals: decimals) } else { null() }
    }

    /// A number in Swift's shortest round-trip form (for values of any magnitude).
    public mutating func number(_ v: Double) {
        valueStart()
        if !v.isFinite {
            bytes.append(contentsOf: [0x6e, 0x75, 0x6c, 0x6c])
        } else if v == v.rounded(), abs(v) < 1e15 {
            appendInt(Int(v))
        } else {
            bytes.append(contentsOf: v.description.utf8)
        }
    }

    /// Raw JSON text (already valid), e.g. an object written elsewhere.
    public mutating func raw(_ json: String) {
        valueStart()
        bytes.append(contentsOf: json.utf8)
    }

    public mutating func newline() { bytes.append(0x0a) }

    // MARK: formatting

    static let powers: [Double] = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000]

    @inline(__always)
    mutating func appendFixed(_ v: Double, decimals: Int) {
        guard v.isFinite else {
            bytes.append(contentsOf: [0x6e, 0x75, 0x6c, 0x6c])
            return
        }
        let d = min(max(decimals, 0), 6)
        let scaled = (v * Self.powers[d]).rounded()
        guard abs(scaled) < 9e15 else {
            bytes.append(contentsOf: v.description.utf8)
            return
        }
        var n = Int(scaled)
        if n < 0 {
            bytes.append(0x2d)
            n = -n
        }
        var digits = d
        // Drop trailing zeros of the fraction.
        while digits > 0 && n % 10 == 0 {
            n /= 10
            digits -= 1
        }
        if digits == 0 {
            appendInt(n)
            return
        }
        var p = 1
        for _ in 0..<digits { p *= 10 }
        appendInt(n / p)
        bytes.append(0x2e)
        var frac = n % p
        var buf: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0x30, 0x30, 0x30, 0x30, 0x30, 0x30)
        withUnsafeMutableBytes(of: &buf) { b in
            var i = digits - 1
            while i >= 0 {
                b[i] = UInt8(0x30 + frac % 10)
                frac /= 10
                i -= 1
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: b[0..<digits]))
        }
    }

    @inline(__always)
    mutating func appendInt(_ value: Int) {
        var v = value
        if v < 0 {
            bytes.append(0x2d)
            if v == Int.min {
                bytes.append(contentsOf: "9223372036854775808".utf8)
                return
            }
            v = -v
        }
        if v < 10 {
            bytes.append(UInt8(0x30 + v))
            return
        }
        var tmp: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &tmp) { b in
            var i = 24
            while v > 0 {
                i -= 1
                b[i] = UInt8(0x30 + v % 10)
                v /= 10
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: b[i..<24]))
        }
    }

    mutating func appendQuoted(_ s: String) {
        bytes.append(0x22)
        // Most strings (names, modes) need no escaping: copy them whole.
        var copy = s
        let plain = copy.withUTF8 { p -> Bool in
            for b in p where b < 0x20 || b == 0x22 || b == 0x5c || b == 0x7f { return false }
            bytes.append(contentsOf: p)
            return true
        }
        if plain {
            bytes.append(0x22)
            return
        }
        for b in s.utf8 {
            switch b {
            case 0x22: bytes.append(0x5c); bytes.append(0x22)
            case 0x5c: bytes.append(0x5c); bytes.append(0x5c)
            case 0x0a: bytes.append(0x5c); bytes.append(0x6e)
            case 0x0d: bytes.append(0x5c); bytes.append(0x72)
            case 0x09: bytes.append(0x5c); bytes.append(0x74)
            case 0..<0x20, 0x7f:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [0x5c, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]])
            default: bytes.append(b)
            }
        }
        bytes.append(0x22)
    }
}
