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

    /// A Kubernetes pod as steertop labels it, "namespace/name": two DNS-1123 names (lower
    /// case letters, digits, "-" and "."; at most 253 bytes each) and one "/".
    public static func checkPodLabel(_ label: String) throws(SteerError) {
        let parts = label.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw .invalidName(label, reason: "a pod is namespace/name") }
        for part in parts {
            let bytes = Array(part.utf8)
            guard !bytes.isEmpty, bytes.count <= 253, !hasDotDot(bytes),
                  bytes.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d || $0 == 0x2e }) else {
                throw .invalidName(label, reason: "a pod's namespace and name are lower-case DNS names")
            }
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
        // An empty list would mean "all but lo": an unset shell variable must not steer
        // the management NIC.
        guard !parts.isEmpty else {
            throw .invalid("an empty \(kind) list names nothing; give names or globs (e.g. \(kind == "interface" ? "eth1,vxlan.calico,'cali*'" : "'cni-*'"))")
        }
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
