/// A reusable byte buffer that JSON is written into by hand: keys in a fixed order,
/// numbers with a fixed number of decimals, no Foundation and no allocation once warm.
/// The caller writes the punctuation it needs with `key`/`comma`-aware helpers.
///
/// The recorder encodes a sample every tick on the node it measures, so the bytes go
/// straight into raw memory (no Array uniqueness and capacity checks per byte). A
/// JSONBuffer is a scratch buffer: copies share their storage, so do not copy one.
public struct JSONBuffer {
    private final class Storage {
        var base: UnsafeMutablePointer<UInt8>
        var capacity: Int
        init(capacity: Int) {
            self.capacity = max(capacity, 64)
            base = .allocate(capacity: self.capacity)
        }
        deinit { base.deallocate() }
    }

    private let storage: Storage
    /// Bytes written so far.
    public private(set) var count = 0
    /// Whether the next member or element needs a comma, one bit per open container
    /// (bit `depth - 1` for the innermost; containers nest at most 64 deep).
    private var needsComma: UInt64 = 0
    private var depth = 0

    public init(capacity: Int = 4096) {
        storage = Storage(capacity: capacity)
    }

    /// A copy of the bytes written (for tests and small texts; the recorder uses
    /// `withUnsafeBytes`).
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: storage.base, count: count)) }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: storage.base, count: count))
    }

    public mutating func reset() {
        count = 0
        needsComma = 0
        depth = 0
        afterKey = false
    }

    @inline(__always)
    mutating func reserve(_ n: Int) {
        if count + n > storage.capacity {
            var c = storage.capacity * 2
            while count + n > c { c *= 2 }
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
            bigger.update(from: storage.base, count: count)
            storage.base.deallocate()
            storage.base = bigger
            storage.capacity = c
        }
    }

    @inline(__always)
    mutating func put(_ byte: UInt8) {
        reserve(1)
        storage.base[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func put(_ p: UnsafeRawBufferPointer) {
        guard let src = p.baseAddress, p.count > 0 else { return }
        reserve(p.count)
        (storage.base + count).update(from: src.assumingMemoryBound(to: UInt8.self), count: p.count)
        count += p.count
    }

    @inline(__always)
    mutating func put<S: Sequence>(contentsOf s: S) where S.Element == UInt8 {
        for b in s { put(b) }
    }

    @inline(__always)
    mutating func push() {
        depth += 1
        needsComma &= ~(1 << UInt64(depth - 1))
    }

    @inline(__always)
    mutating func pop() {
        depth -= 1
    }

    /// Set after a key: the value that follows takes no comma.
    private var afterKey = false

    @inline(__always)
    mutating func separator() {
        if afterKey {
            afterKey = false
            return
        }
        guard depth > 0 else { return }
        let bit: UInt64 = 1 << UInt64(depth - 1)
        if needsComma & bit != 0 { put(0x2c) } else { needsComma |= bit }
    }

    public mutating func beginObject() {
        separator()
        put(0x7b)
        push()
    }

    public mutating func endObject() {
        pop()
        put(0x7d)
    }

    public mutating func beginArray() {
        separator()
        put(0x5b)
        push()
    }

    public mutating func endArray() {
        pop()
        put(0x5d)
    }

    /// Writes `"name":` (the name must not need escaping: keys are ours).
    @inline(__always)
    public mutating func key(_ name: StaticString) {
        separator()
        putQuoted(name)
        put(0x3a)
        afterKey = true
    }

    /// Writes `"name":` for a name that is data (a pod's namespace), escaped as a string.
    public mutating func key(_ name: String) {
        separator()
        appendQuoted(name)
        put(0x3a)
        afterKey = true
    }

    /// `"name"`, for names of our own that need no escaping.
    @inline(__always)
    mutating func putQuoted(_ name: StaticString) {
        put(0x22)
        put(UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        put(0x22)
    }

    @inline(__always)
    mutating func valueStart() { separator() }

    mutating func markAfterKey() { afterKey = true }

    public mutating func string(_ s: String) {
        valueStart()
        appendQuoted(s)
    }

    /// Writes one of our own names as a string value (it must not need escaping: the
    /// schema's type names, say).
    @inline(__always)
    public mutating func string(_ name: StaticString) {
        valueStart()
        putQuoted(name)
    }

    public mutating func stringOrNull(_ s: String?) {
        if let s { string(s) } else { null() }
    }

    public mutating func null() {
        valueStart()
        put(contentsOf: [0x6e, 0x75, 0x6c, 0x6c])
    }

    public mutating func bool(_ v: Bool) {
        valueStart()
        if v { put(contentsOf: [0x74, 0x72, 0x75, 0x65]) } else { put(contentsOf: [0x66, 0x61, 0x6c, 0x73, 0x65]) }
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
            put(contentsOf: [0x6e, 0x75, 0x6c, 0x6c])
        } else if v == v.rounded(), abs(v) < 1e15 {
            appendInt(Int(v))
        } else {
            put(contentsOf: v.description.utf8)
        }
    }

    /// Raw JSON text (already valid), e.g. an object written elsewhere.
    public mutating func raw(_ json: String) {
        valueStart()
        put(contentsOf: json.utf8)
    }

    public mutating func newline() { put(0x0a) }

    // MARK: formatting

    static let powers: [Double] = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000]

    @inline(__always)
    mutating func appendFixed(_ v: Double, decimals: Int) {
        guard v.isFinite else {
            put(contentsOf: [0x6e, 0x75, 0x6c, 0x6c])
            return
        }
        let d = min(max(decimals, 0), 6)
        let scaled = (v * Self.powers[d]).rounded()
        guard abs(scaled) < 9e15 else {
            put(contentsOf: v.description.utf8)
            return
        }
        var n = Int(scaled)
        if n < 0 {
            put(0x2d)
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
        put(0x2e)
        var frac = n % p
        var buf: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0x30, 0x30, 0x30, 0x30, 0x30, 0x30)
        withUnsafeMutableBytes(of: &buf) { b in
            var i = digits - 1
            while i >= 0 {
                b[i] = UInt8(0x30 + frac % 10)
                frac /= 10
                i -= 1
            }
            put(UnsafeRawBufferPointer(rebasing: b[0..<digits]))
        }
    }

    @inline(__always)
    mutating func appendInt(_ value: Int) {
        var v = value
        if v < 0 {
            put(0x2d)
            if v == Int.min {
                put(contentsOf: "9223372036854775808".utf8)
                return
            }
            v = -v
        }
        if v < 10 {
            put(UInt8(0x30 + v))
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
            put(UnsafeRawBufferPointer(rebasing: b[i..<24]))
        }
    }

    mutating func appendQuoted(_ s: String) {
        put(0x22)
        // Most strings (names, modes) need no escaping: copy them whole.
        var copy = s
        let plain = copy.withUTF8 { p -> Bool in
            for b in p where b < 0x20 || b == 0x22 || b == 0x5c || b == 0x7f { return false }
            put(UnsafeRawBufferPointer(p))
            return true
        }
        if plain {
            put(0x22)
            return
        }
        for b in s.utf8 {
            switch b {
            case 0x22: put(0x5c); put(0x22)
            case 0x5c: put(0x5c); put(0x5c)
            case 0x0a: put(0x5c); put(0x6e)
            case 0x0d: put(0x5c); put(0x72)
            case 0x09: put(0x5c); put(0x74)
            case 0..<0x20, 0x7f:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                put(contentsOf: [0x5c, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]])
            default: put(b)
            }
        }
        put(0x22)
    }
}
