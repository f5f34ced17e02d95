#if canImport(Glibc)
import Glibc
#endif

/// Why a JSON text could not be read, and where.
public struct JSONError: Error, Equatable, Sendable, CustomStringConvertible {
    public var offset: Int
    public var reason: String
    /// The key whose value (or whose object) was being read, when there was one: with the
    /// line number the reader adds, a wrong value names its line and key.
    public var key: String? = nil
    /// What kind of problem this is, in a few words ("negative bps", "t out of range"),
    /// for the summary of skipped lines; nil: the text is not JSON as expected.
    public var category: String? = nil
    /// The record type the line was read as ("samples", "run records"), set by the readers
    /// for errors that have a `category`.
    public var record: String? = nil
    public var description: String {
        "\(reason) at byte \(offset + 1)" + (key.map { " (key \"\($0)\")" } ?? "")
    }
}

/// A pull parser over UTF-8 bytes: the caller walks objects and arrays and reads the
/// members it wants; everything else is skipped without building values. Strict JSON
/// (RFC 8259), no Foundation.
public struct JSONScanner {
    public let bytes: UnsafeRawBufferPointer
    public var index: Int
    /// Where the last key read stands in `bytes`, for the errors (empty: no key yet).
    var keyStart = 0, keyEnd = 0, keyEscaped = false

    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        index = 0
    }

    // MARK: structure

    @inline(__always)
    mutating func whitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0a, 0x0d, 0x09: index += 1
            default: return
            }
        }
    }

    func fail(_ reason: String) -> JSONError { fail(reason, at: index) }

    /// An error at `offset`, naming the last key read.
    func fail(_ reason: String, at offset: Int) -> JSONError {
        JSONError(offset: offset, reason: reason, key: lastKey)
    }

    /// The last key read (nil before the first), as written.
    public var lastKey: String? {
        keyEnd > keyStart ? JSONKey(bytes: bytes, start: keyStart, end: keyEnd, escaped: keyEscaped).string : nil
    }

    /// The first byte of the next value ('{', '[', '"', 't', 'f', 'n', or a number), 0 at the end.
    public mutating func peek() -> UInt8 {
        whitespace()
        return index < bytes.count ? bytes[index] : 0
    }

    @inline(__always)
    mutating func expect(_ byte: UInt8, _ what: String) throws(JSONError) {
        whitespace()
        guard index < bytes.count, bytes[index] == byte else {
            throw fail(index < bytes.count ? "expected \(what)" : "unexpected end (expected \(what))")
        }
        index += 1
    }

    /// Consumes '{'.
    public mutating func beginObject() throws(JSONError) { try expect(0x7b, "{") }

    /// The next member's key, or nil after the closing '}' (consumed). `first` must be true
    /// for the first call on an object; the scanner keeps it up to date.
    public mutating func nextKey(_ first: inout Bool) throws(JSONError) -> JSONKey? {
        whitespace()
        guard index < bytes.count else { throw fail("unexpected end (unterminated object)") }
        if bytes[index] == 0x7d {
            index += 1
            return nil
        }
        if !first {
            guard bytes[index] == 0x2c else { throw fail("expected , or }") }
            index += 1
            whitespace()
        }
        first = false
        guard index < bytes.count, bytes[index] == 0x22 else { throw fail("expected a key") }
        let key = try rawString()
        keyStart = key.start
        keyEnd = key.end
        keyEscaped = key.escaped
        try expect(0x3a, ":")
        return key
    }

    /// Consumes '['.
    public mutating func beginArray() throws(JSONError) { try expect(0x5b, "[") }

    /// True when another element follows (the scanner is at it); false after the closing ']'.
    public mutating func nextElement(_ first: inout Bool) throws(JSONError) -> Bool {
        whitespace()
        guard index < bytes.count else { throw fail("unexpected end (unterminated array)") }
        if bytes[index] == 0x5d {
            index += 1
            return false
        }
        if !first {
            guard bytes[index] == 0x2c else { throw fail("expected , or ]") }
            index += 1
        }
        first = false
        return true
    }

    /// Whether only whitespace is left.
    public mutating func atEnd() -> Bool {
        whitespace()
        return index >= bytes.count
    }

    // MARK: scalars

    /// A string value.
    public mutating func string() throws(JSONError) -> String {
        whitespace()
        guard index < bytes.count, bytes[index] == 0x22 else { throw fail("expected a string") }
        return try rawString().string
    }

    /// A string value as it stands in the text (compared with `==` without a String).
    public mutating func stringKey() throws(JSONError) -> JSONKey {
        whitespace()
        guard index < bytes.count, bytes[index] == 0x22 else { throw fail("expected a string") }
        return try rawString()
    }

    public mutating func stringOrNull() throws(JSONError) -> String? {
        if consumeNull() { return nil }
        return try string()
    }

    /// A number value as a Double.
    public mutating func double() throws(JSONError) -> Double {
        whitespace()
        let start = index
        var negative = false
        if index < bytes.count && bytes[index] == 0x2d {
            negative = true
            index += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        let intStart = index
        while index < bytes.count, case let d = bytes[index] &- 0x30, d < 10 {
            if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(d); digits += mantissa == 0 ? 0 : 1 } else { exponent += 1 }
            index += 1
        }
        guard index > intStart else { throw fail("expected a number") }
        if bytes[intStart] == 0x30 && index - intStart > 1 { throw fail("leading zero in a number") }
        if index < bytes.count && bytes[index] == 0x2e {
            index += 1
            let fracStart = index
            while index < bytes.count, case let d = bytes[index] &- 0x30, d < 10 {
                if digits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(d)
                    digits += mantissa == 0 ? 0 : 1
                    exponent -= 1
                }
                index += 1
            }
            guard index > fracStart else { throw fail("expected digits after the decimal point") }
        }
        let slow = digits >= 19
        if index < bytes.count && (bytes[index] == 0x65 || bytes[index] == 0x45) {
            index += 1
            var expNegative = false
            if index < bytes.count && (bytes[index] == 0x2b || bytes[index] == 0x2d) {
                expNegative = bytes[index] == 0x2d
                index += 1
            }
            var e = 0
            let expStart = index
            while index < bytes.count, case let d = bytes[index] &- 0x30, d < 10 {
                if e < 100_000 { e = e * 10 + Int(d) }
                index += 1
            }
            guard index > expStart else { throw fail("expected an exponent") }
            exponent += expNegative ? -e : e
        }
        if !slow && mantissa < (1 << 53) && exponent >= -22 && exponent <= 22 {
            // Exact: both the mantissa and the power of ten are representable.
            let value = exponent >= 0 ? Double(mantissa) * Self.pow10[exponent] : Double(mantissa) / Self.pow10[-exponent]
            return negative ? -value : value
        }
        // Rare: let strtod round it correctly.
        var text = [CChar](repeating: 0, count: index - start + 1)
        for k in start..<index { text[k - start] = CChar(bitPattern: bytes[k]) }
        let value = strtod(text, nil)
        // 1e400 or a 5000-digit number: beyond a Double, so no reader can take it as it is.
        guard value.isFinite else {
            var e = fail("number out of range (\(index - start > 24 ? "\(index - start) characters" : String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)))", at: start)
            e.category = "a number out of range"
            throw e
        }
        return value
    }

    static let pow10: [Double] = (0...22).map { e in
        var v = 1.0
        for _ in 0..<e { v *= 10 }
        return v
    }

    public mutating func doubleOrNull() throws(JSONError) -> Double? {
        if consumeNull() { return nil }
        return try double()
    }

    /// A number that must be an integer.
    public mutating func int() throws(JSONError) -> Int {
        let v = try double()
        guard v == v.rounded(), abs(v) < 9.2e18 else { throw fail("expected an integer") }
        return Int(v)
    }

    public mutating func intOrNull() throws(JSONError) -> Int? {
        if consumeNull() { return nil }
        return try int()
    }

    public mutating func bool() throws(JSONError) -> Bool {
        whitespace()
        if literal("true") { return true }
        if literal("false") { return false }
        throw fail("expected true or false")
    }

    /// Consumes `null` if it is next.
    public mutating func consumeNull() -> Bool {
        whitespace()
        return literal("null")
    }

    @inline(__always)
    mutating func literal(_ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard index + n <= bytes.count else { return false }
        for k in 0..<n where bytes[index + k] != word.utf8Start[k] { return false }
        index += n
        return true
    }

    /// Skips one value of any kind.
    public mutating func skipValue() throws(JSONError) {
        try skipValue(depth: 0)
    }

    /// Containers nested deeper than this are refused (a crafted file must not exhaust
    /// the stack).
    static let maxDepth = 256

    mutating func skipValue(depth: Int) throws(JSONError) {
        switch peek() {
        case 0x7b:
            guard depth < Self.maxDepth else { throw fail("nested deeper than \(Self.maxDepth) levels") }
            index += 1
            var first = true
            while try nextKey(&first) != nil { try skipValue(depth: depth + 1) }
        case 0x5b:
            guard depth < Self.maxDepth else { throw fail("nested deeper than \(Self.maxDepth) levels") }
            index += 1
            var first = true
            while try nextElement(&first) { try skipValue(depth: depth + 1) }
        case 0x22:
            _ = try rawString()
        case 0x74, 0x66:
            _ = try bool()
        case 0x6e:
            guard consumeNull() else { throw fail("expected null") }
        case 0:
            throw fail("unexpected end (expected a value)")
        default:
            _ = try double()
        }
    }

    // MARK: strings

    /// A string at the cursor (which is at its opening quote), unescaped lazily.
    mutating func rawString() throws(JSONError) -> JSONKey {
        index += 1
        let start = index
        var escaped = false
        while index < bytes.count {
            let c = bytes[index]
            if c == 0x22 {
                let key = JSONKey(bytes: bytes, start: start, end: index, escaped: escaped)
                index += 1
                if escaped { _ = try key.unescaped(offset: start) }
                return key
            }
            if c == 0x5c {
                escaped = true
                index += 2
                continue
            }
            if c < 0x20 { throw fail("control character in a string") }
            index += 1
        }
        throw fail("unexpected end (unterminated string)")
    }
}

/// A string as it stands in the JSON text; compared to keys without making a String.
public struct JSONKey {
    let bytes: UnsafeRawBufferPointer
    let start: Int
    let end: Int
    let escaped: Bool

    /// Whether the key is exactly `name`. A key written with escapes (`"\u0062ps"` is
    /// `"bps"`) is compared unescaped, on a slow path only such keys take.
    @inline(__always)
    public static func == (key: JSONKey, name: StaticString) -> Bool {
        let n = name.utf8CodeUnitCount
        if key.escaped { return key.unescapedEquals(UnsafeRawBufferPointer(start: name.utf8Start, count: n)) }
        guard key.end - key.start == n else { return false }
        let p = name.utf8Start
        for k in 0..<n where key.bytes[key.start + k] != p[k] { return false }
        return true
    }

    /// Whether the key is exactly these bytes (escapes honoured, as above).
    @inline(__always)
    public static func == (key: JSONKey, name: [UInt8]) -> Bool {
        if key.escaped { return name.withUnsafeBytes { key.unescapedEquals($0) } }
        guard key.end - key.start == name.count else { return false }
        for k in 0..<name.count where key.bytes[key.start + k] != name[k] { return false }
        return true
    }

    /// The slow path of `==`: the key unescaped, compared with `name`.
    @inline(never)
    func unescapedEquals(_ name: UnsafeRawBufferPointer) -> Bool {
        guard let text = try? unescaped(offset: start) else { return false }
        var copy = text
        return copy.withUTF8 { $0.elementsEqual(name) }
    }

    public var string: String {
        if !escaped {
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        }
        return (try? unescaped(offset: start)) ?? ""
    }

    func unescaped(offset: Int) throws(JSONError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(end - start)
        var k = start
        func hex4(_ at: Int) throws(JSONError) -> UInt32 {
            guard at + 4 <= end else { throw JSONError(offset: at, reason: "short \\u escape") }
            var v: UInt32 = 0
            for j in at..<at + 4 {
                let c = bytes[j]
                let d: UInt32
                switch c {
                case 0x30...0x39: d = UInt32(c - 0x30)
                case 0x61...0x66: d = UInt32(c - 0x61 + 10)
                case 0x41...0x46: d = UInt32(c - 0x41 + 10)
                default: throw JSONError(offset: j, reason: "bad \\u escape")
                }
                v = v << 4 | d
            }
            return v
        }
        while k < end {
            let c = bytes[k]
            guard c == 0x5c else {
                out.append(c)
                k += 1
                continue
            }
            guard k + 1 < end else { throw JSONError(offset: k, reason: "bad escape") }
            let e = bytes[k + 1]
            k += 2
            switch e {
            case 0x22: out.append(0x22)
            case 0x5c: out.append(0x5c)
            case 0x2f: out.append(0x2f)
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0c)
            case 0x6e: out.append(0x0a)
            case 0x72: out.append(0x0d)
            case 0x74: out.append(0x09)
            case 0x75:
                var scalar = try hex4(k)
                k += 4
                if scalar >= 0xd800 && scalar < 0xdc00, k + 6 <= end, bytes[k] == 0x5c, bytes[k + 1] == 0x75 {
                    let low = try hex4(k + 2)
                    if low >= 0xdc00 && low < 0xe000 {
                        scalar = 0x10000 + ((scalar - 0xd800) << 10) + (low - 0xdc00)
                        k += 6
                    }
                }
                let u = Unicode.Scalar(scalar) ?? "\u{fffd}"
                out.append(contentsOf: Array(String(u).utf8))
            default:
                throw JSONError(offset: k - 1, reason: "bad escape")
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// A JSON document as a tree, for the few places where shape matters more than speed
/// (snapshots, kubectl and iperf3 -J output).
public indirect enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([Member])

    public struct Member: Equatable, Sendable {
        public var key: String
        public var value: JSONValue
        public init(_ key: String, _ value: JSONValue) { self.key = key; self.value = value }
    }

    public static func parse(_ text: String) throws(JSONError) -> JSONValue {
        var copy = text
        return try copy.withUTF8 { p in
            Result { () throws(JSONError) -> JSONValue in try parse(UnsafeRawBufferPointer(p)) }
        }.get()
    }

    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONError) -> JSONValue {
        var s = JSONScanner(bytes)
        let v = try s.value()
        guard s.atEnd() else { throw s.fail("unexpected text after the value") }
        return v
    }

    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    public subscript(index: Int) -> JSONValue? {
        guard case .array(let items) = self, index >= 0, index < items.count else { return nil }
        return items[index]
    }

    public var double: Double? { if case .number(let v) = self { return v } else { return nil } }
    public var int: Int? { double.flatMap { $0 == $0.rounded() && abs($0) < 9e18 ? Int($0) : nil } }
    public var string: String? { if case .string(let v) = self { return v } else { return nil } }
    public var bool: Bool? { if case .bool(let v) = self { return v } else { return nil } }
    public var array: [JSONValue]? { if case .array(let v) = self { return v } else { return nil } }
    public var members: [Member]? { if case .object(let v) = self { return v } else { return nil } }
    public var isNull: Bool { self == .null }

    /// Compact JSON text.
    public var text: String {
        var out = JSONBuffer()
        write(into: &out)
        return String(decoding: out.bytes, as: UTF8.self)
    }

    public func write(into out: inout JSONBuffer) {
        switch self {
        case .null: out.null()
        case .bool(let b): out.bool(b)
        case .number(let v): out.number(v)
        case .string(let s): out.string(s)
        case .array(let items):
            out.beginArray()
            for item in items { item.write(into: &out) }
            out.endArray()
        case .object(let members):
            out.beginObject()
            for m in members {
                out.dynamicKey(m.key)
                m.value.write(into: &out)
            }
            out.endObject()
        }
    }
}

extension JSONScanner {
    /// The next value as a tree.
    public mutating func value() throws(JSONError) -> JSONValue {
        try value(depth: 0)
    }

    mutating func value(depth: Int) throws(JSONError) -> JSONValue {
        switch peek() {
        case 0x7b:
            guard depth < Self.maxDepth else { throw fail("nested deeper than \(Self.maxDepth) levels") }
            index += 1
            var first = true
            var members: [JSONValue.Member] = []
            while let key = try nextKey(&first) {
                members.append(.init(key.string, try value(depth: depth + 1)))
            }
            return .object(members)
        case 0x5b:
            guard depth < Self.maxDepth else { throw fail("nested deeper than \(Self.maxDepth) levels") }
            index += 1
            var first = true
            var items: [JSONValue] = []
            while try nextElement(&first) { items.append(try value(depth: depth + 1)) }
            return .array(items)
        case 0x22: return .string(try string())
        case 0x74, 0x66: return .bool(try bool())
        case 0x6e:
            guard consumeNull() else { throw fail("expected null") }
            return .null
        case 0: throw fail("unexpected end (expected a value)")
        default: return .number(try double())
        }
    }
}

extension JSONBuffer {
    /// A key only known at run time (escaped as needed).
    public mutating func dynamicKey(_ name: String) {
        separator()
        appendQuoted(name)
        put(0x3a)
        markAfterKey()
    }
}
