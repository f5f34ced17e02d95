/// Names that become parts of paths (/sys/class/net/NAME, /var/run/netns/NAME) or of
/// commands are checked here before any use: no "/", no "..", no NUL or control bytes.
public enum Names {
    /// A network interface name as the kernel accepts it (dev_valid_name): 1 to 15 bytes,
    /// not "." or "..", no "/", ":", whitespace or NUL.
    public static func checkInterface(_ name: String) throws(SteerError) {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty else { throw .invalidName(name, reason: "an interface name cannot be empty") }
        guard bytes.count <= 15 else { throw .invalidName(name, reason: "interface names have at most 15 bytes") }
        guard name != "." && name != ".." else { throw .invalidName(name, reason: "not an interface name") }
        for b in bytes where b == 0x2f || b == 0x3a || b <= 0x20 || b == 0x7f {
            throw .invalidName(name, reason: "interface names cannot contain \"/\", \":\", spaces or control characters")
        }
    }

    /// A network namespace name (a file in /var/run/netns): no "/", not "." or "..",
    /// no NUL or control characters, at most 255 bytes.
    public static func checkNamespace(_ name: String) throws(SteerError) {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty else { throw .invalidName(name, reason: "a namespace name cannot be empty") }
        guard bytes.count <= 255 else { throw .invalidName(name, reason: "namespace names have at most 255 bytes") }
        guard !hasDotDot(bytes) else {
            throw .invalidName(name, reason: "namespace names cannot contain \"..\"")
        }
        for b in bytes where b == 0x2f || b < 0x20 || b == 0x7f {
            throw .invalidName(name, reason: "namespace names cannot contain \"/\" or control characters")
        }
    }

    /// A glob over interface or namespace names: the same rules, with * ? [ ] allowed.
    public static func checkPattern(_ pattern: String, kind: String) throws(SteerError) {
        let bytes = Array(pattern.utf8)
        guard !bytes.isEmpty else { throw .invalidName(pattern, reason: "an empty \(kind) pattern matches nothing") }
        guard !hasDotDot(bytes) else { throw .invalidName(pattern, reason: "\(kind) names cannot contain \"..\"") }
        for b in bytes where b == 0x2f || b < 0x20 || b == 0x7f {
            throw .invalidName(pattern, reason: "\(kind) names cannot contain \"/\" or control characters")
        }
    }

    /// Whether ".." appears (cheaper than String.contains, which the sampler would pay
    /// for every namespace it lists).
    static func hasDotDot(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 2 else { return false }
        for i in 1..<bytes.count where bytes[i] == 0x2e && bytes[i - 1] == 0x2e { return true }
        return false
    }

    /// Splits "eth1,vxlan.calico,cali*" into patterns and checks each.
    public static func patterns(_ commaSeparated: String, kind: String) throws(SteerError) -> [String] {
        let parts = commaSeparated.split(separator: ",").map { $0.trimmingCharacters() }.filter { !$0.isEmpty }
        for p in parts { try checkPattern(p, kind: kind) }
        return parts
    }
}

/// Which names to take: globs; an empty list means "all but lo".
public struct NamePatterns: Equatable, Sendable, CustomStringConvertible {
    public var patterns: [String]

    public init(_ patterns: [String] = []) { self.patterns = patterns }

    public static let allButLoopback = NamePatterns([])

    public func matches(_ name: String) -> Bool {
        if patterns.isEmpty { return name != "lo" }
        return patterns.contains { LibC.globMatches($0, name) }
    }

    public var description: String { patterns.isEmpty ? "all but lo" : patterns.joined(separator: ",") }
}
