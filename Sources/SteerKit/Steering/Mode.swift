/// The paper's five steering modes (sections IV-C, IV-D, V-C).
public enum Mode: String, CaseIterable, Sendable, CustomStringConvertible {
    /// No RPS, no RFS anywhere.
    case baseline
    /// rps_cpus on the node interfaces' rx queues.
    case rps
    /// As rps, and on the interfaces inside the pods.
    case rpsPlus = "rps+"
    /// rps_sock_flow_entries and rps_flow_cnt on the node interfaces' rx queues.
    case rfs
    /// As rfs, and rps_flow_cnt on the interfaces inside the pods.
    case rfsPlus = "rfs+"

    public var description: String { rawValue }

    /// Parses a mode name as users type it ("rps+", "rpsplus", "RFS+", "1".."5").
    public init?(name: String) {
        let n = name.lowercased().trimmingCharacters()
        switch n {
        case "baseline", "base", "off", "1": self = .baseline
        case "rps", "2": self = .rps
        case "rps+", "rpsplus", "rps-plus", "3": self = .rpsPlus
        case "rfs", "4": self = .rfs
        case "rfs+", "rfsplus", "rfs-plus", "5": self = .rfsPlus
        default: return nil
        }
    }

    public var usesRPSOnNode: Bool { self == .rps || self == .rpsPlus }
    public var usesRFS: Bool { self == .rfs || self == .rfsPlus }
    /// Whether the pods' interfaces are configured too.
    public var includesPods: Bool { self == .rpsPlus || self == .rfsPlus }

    public static let names = allCases.map(\.rawValue).joined(separator: ", ")
}

/// The mode the steering files show, as read back: one of the five, settings that match
/// none of them (`custom`), or nothing to read (`unknown`). This is the `mode` of a
/// sample, a run record and a mode record; the names are written here and in `Mode` only.
public enum ObservedMode: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    case mode(Mode)
    /// Settings that match none of the five.
    case custom
    /// No node interface to read.
    case unknown
    /// A name this version does not know, read from a recording (a later version may add
    /// modes; readers keep what they do not know): kept as written.
    case other(String)

    public static let customName = "custom"
    public static let unknownName = "unknown"

    /// The name as the recording format writes it (exactly: no aliases, no case folding).
    public init(name: String) {
        if let m = Mode(rawValue: name) { self = .mode(m) }
        else if name == Self.customName { self = .custom }
        else if name == Self.unknownName { self = .unknown }
        else { self = .other(name) }
    }

    public init(stringLiteral name: String) { self.init(name: name) }

    public init(_ mode: Mode) { self = .mode(mode) }

    public var name: String {
        switch self {
        case .mode(let m): return m.rawValue
        case .custom: return Self.customName
        case .unknown: return Self.unknownName
        case .other(let n): return n
        }
    }

    public var description: String { name }

    /// The steering mode, when it is one of the five.
    public var mode: Mode? { if case .mode(let m) = self { return m } else { return nil } }

    /// Where it sorts: the paper's five first, in their order; any other after them.
    public var rank: Int { mode.map { Mode.allCases.firstIndex(of: $0)! } ?? Mode.allCases.count }
}

/// How steertop configures a mode: which interfaces, which CPUs, how many flows.
public struct SteeringConfig: Equatable, Sendable {
    /// The node's interfaces (the paper: eth1, vxlan.calico, cali*).
    public var nodeIfaces: NamePatterns
    /// The pods' interfaces (all but lo: a pod's eth0).
    public var podIfaces: NamePatterns
    /// The CPUs for rps_cpus; nil = every online CPU.
    public var cpus: CPUSet?
    /// rps_sock_flow_entries, and rps_flow_cnt of a single-queue device (the kernel's
    /// suggestion, and the paper's value: 32768). A device with N rx queues gets
    /// flowEntries / N per queue (Documentation/networking/scaling.rst).
    public var flowEntries: Int
    /// rfs and rfs+ also set rps_cpus (the paper's scripts leave it 0).
    public var rfsWithRPS: Bool

    public static let defaultNodeIfaces = NamePatterns(["eth1", "vxlan.calico", "cali*"])

    public init(nodeIfaces: NamePatterns = SteeringConfig.defaultNodeIfaces, podIfaces: NamePatterns = .allButLoopback,
                cpus: CPUSet? = nil, flowEntries: Int = 32768, rfsWithRPS: Bool = false) {
        self.nodeIfaces = nodeIfaces; self.podIfaces = podIfaces; self.cpus = cpus
        self.flowEntries = flowEntries; self.rfsWithRPS = rfsWithRPS
    }
}

/// What the kernel keeps of a flow count: rps_flow_cnt and rps_sock_flow_entries are
/// rounded up to a power of two (roundup_pow_of_two in net/core/net-sysfs.c and
/// net/core/sysctl_net_core.c); 0 stays 0.
public func kernelFlowCount(_ n: Int) -> Int {
    guard n > 0 else { return 0 }
    var p = 1
    while p < n { p <<= 1 }
    return p
}
