/// A set of CPUs as the kernel writes it in rps_cpus (a hex mask, least significant bit
/// = CPU 0, comma-separated 32-bit groups, most significant group first) and as people
/// write it ("0-3,5").
public struct CPUSet: Hashable, Sendable, CustomStringConvertible {
    /// 32-bit groups; index 0 holds CPUs 0-31.
    public private(set) var groups: [UInt32]

    public init() { groups = [] }

    public init<S: Sequence>(_ cpus: S) where S.Element == Int {
        groups = []
        for cpu in cpus where cpu >= 0 { insert(cpu) }
    }

    /// Parses the kernel's mask format ("3", "0000000f", "00000000,0000000f"). Spaces and a
    /// trailing newline are ignored; nil if a group is not hex or wider than 32 bits.
    public init?(mask: String) {
        var parsed: [UInt32] = []
        for part in mask.split(separator: ",", omittingEmptySubsequences: false).reversed() {
            let digits = part.filter { !$0.isWhitespace }
            guard !digits.isEmpty, digits.count <= 8, let v = UInt32(digits, radix: 16) else { return nil }
            parsed.append(v)
        }
        groups = parsed
        trim()
    }

    /// Parses a CPU list ("0-2,5", "" = empty); nil on anything else.
    public init?(list: String) {
        groups = []
        let text = list.trimmingCharacters()
        if text.isEmpty { return }
        for part in text.split(separator: ",") {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count == 1 || bounds.count == 2,
                  let lo = Int(bounds[0]), lo >= 0, lo < 8192 else { return nil }
            let hi = bounds.count == 2 ? Int(bounds[1]) : lo
            guard let hi, hi >= lo, hi < 8192 else { return nil }
            for cpu in lo...hi { insert(cpu) }
        }
    }

    public mutating func insert(_ cpu: Int) {
        let g = cpu / 32
        if groups.count <= g { groups += [UInt32](repeating: 0, count: g - groups.count + 1) }
        groups[g] |= 1 << UInt32(cpu % 32)
    }

    public func contains(_ cpu: Int) -> Bool {
        let g = cpu / 32
        return g < groups.count && groups[g] & (1 << UInt32(cpu % 32)) != 0
    }

    public var isEmpty: Bool { groups.allSatisfy { $0 == 0 } }

    public var count: Int { groups.reduce(0) { $0 + $1.nonzeroBitCount } }

    public var cpus: [Int] {
        var out: [Int] = []
        for (g, word) in groups.enumerated() where word != 0 {
            for bit in 0..<32 where word & (1 << UInt32(bit)) != 0 { out.append(g * 32 + bit) }
        }
        return out
    }

    public func isSubset(of other: CPUSet) -> Bool {
        for (g, word) in groups.enumerated() {
            let theirs = g < other.groups.count ? other.groups[g] : 0
            if word & ~theirs != 0 { return false }
        }
        return true
    }

    /// "0-3,5"; "" for the empty set.
    public var list: String {
        var parts: [String] = []
        var start = -1, prev = -2
        for cpu in cpus {
            if cpu == prev + 1 {
                prev = cpu
                continue
            }
            if start >= 0 { parts.append(start == prev ? "\(start)" : "\(start)-\(prev)") }
            start = cpu
            prev = cpu
        }
        if start >= 0 { parts.append(start == prev ? "\(start)" : "\(start)-\(prev)") }
        return parts.joined(separator: ",")
    }

    public var description: String { list.isEmpty ? "none" : list }

    /// The mask exactly as the kernel prints a cpumask of `bits` bits (nr_cpu_ids):
    /// 32-bit groups, most significant first, comma-separated; the first group padded to
    /// the hex digits its bits need, the others to 8 ("3" for 2 CPUs, "1,ffffffff" for 33).
    public func mask(bits: Int) -> String {
        let n = max(bits, 1)
        let count = (n + 31) / 32
        var out = ""
        for g in stride(from: count - 1, through: 0, by: -1) {
            let chunkBits = g == count - 1 ? (n % 32 == 0 ? 32 : n % 32) : 32
            let width = (chunkBits + 3) / 4
            let word = g < groups.count ? groups[g] : 0
            let value = chunkBits == 32 ? word : word & ((1 << UInt32(chunkBits)) - 1)
            let hex = String(value, radix: 16)
            if g != count - 1 { out += "," }
            out += String(repeating: "0", count: max(0, width - hex.count)) + hex
        }
        return out
    }

    private mutating func trim() {
        while let last = groups.last, last == 0 { groups.removeLast() }
    }

    public static func == (a: CPUSet, b: CPUSet) -> Bool {
        let n = max(a.groups.count, b.groups.count)
        for g in 0..<n {
            let x = g < a.groups.count ? a.groups[g] : 0
            let y = g < b.groups.count ? b.groups[g] : 0
            if x != y { return false }
        }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        var copy = self
        copy.trim()
        hasher.combine(copy.groups)
    }
}

extension StringProtocol {
    /// The text without leading and trailing whitespace (no Foundation needed).
    public func trimmingCharacters() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}

/// /sys/devices/system/cpu/online and friends: "0-3,5".
public enum CPUList {
    public static func parse(_ text: String) -> [Int]? {
        CPUSet(list: text).map { $0.cpus }
    }

    /// The online CPUs and nr_cpu_ids (the width of the kernel's cpumasks) under `root`,
    /// from /sys/devices/system/cpu/{online,possible}; the configured count where a file
    /// cannot be read.
    public static func machine(root: String = "/") -> (online: CPUSet, possible: Int) {
        func read(_ name: String) -> CPUSet? {
            guard case .success(let text) = LibC.readText(NetnsView.join(root, "sys/devices/system/cpu/" + name)) else { return nil }
            return CPUSet(list: text.trimmingCharacters())
        }
        let configured = max(LibC.configuredCPUs(), 1)
        return (read("online") ?? CPUSet(0..<configured), (read("possible")?.cpus.max()).map { $0 + 1 } ?? configured)
    }
}
