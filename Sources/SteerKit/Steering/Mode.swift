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
