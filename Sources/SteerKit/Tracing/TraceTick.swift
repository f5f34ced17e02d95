/// What the kernel counted during one tick of a `Tracer`: per receive stage (a device in
/// a network namespace) the packets each CPU processed, and per TCP flow the segments
/// each CPU processed and the CPU its reader ran on.
public struct TraceTick: Sendable {
    /// Seconds since the previous read (or since start).
    public var seconds: Double
    /// The number of CPUs of the per-CPU columns (possible CPUs).
    public var cpus: Int
    /// Devices that received packets, in receive-path order (see `ReceiveStage.order`).
    public var stages: [ReceiveStage]
    /// Flows that TCP processed segments of, iperf3's first, then by bytes.
    public var flows: [FlowLocality]
    /// Events the kernel could not count because a map was full (its cap): packets of
    /// devices beyond `Tracer.maxDevices`, segments of flows beyond `Tracer.maxFlows`.
    public var lostStagePackets: UInt64
    public var lostFlowSegments: UInt64
    public var lostReads: UInt64
    /// One line per problem met while reading (a namespace that vanished, ...).
    public var warnings: [String]

    public init(seconds: Double, cpus: Int, stages: [ReceiveStage], flows: [FlowLocality],
                lostStagePackets: UInt64 = 0, lostFlowSegments: UInt64 = 0, lostReads: UInt64 = 0,
                warnings: [String] = []) {
        self.seconds = seconds; self.cpus = cpus; self.stages = stages; self.flows = flows
        self.lostStagePackets = lostStagePackets; self.lostFlowSegments = lostFlowSegments
        self.lostReads = lostReads; self.warnings = warnings
    }

    /// The stage of a device, by namespace name ("" for the host) and interface name.
    public func stage(netns: String, device: String) -> ReceiveStage? {
        stages.first { $0.netns == netns && $0.device == device }
    }
}

/// A device on the receive path: where net:netif_receive_skb ran for it.
public struct ReceiveStage: Sendable, Equatable {
    /// The network namespace's inode (as in `ls -iL /var/run/netns`) and the interface's index.
    public var netnsInode: UInt32
    public var ifindex: UInt32
    /// The namespace's name under /var/run/netns, "" for steertop's own (the host), or
    /// "netns:INODE" when it has no name (or vanished).
    public var netns: String
    /// The interface's name, or "if INDEX" when it cannot be found (any more).
    public var device: String
    /// Packets (skbs: a GRO or GSO packet counts once, as in rx_packets) per CPU.
    public var packets: [UInt64]
    public var bytes: UInt64

    public var totalPackets: UInt64 { packets.reduce(0, &+) }

    /// Each CPU's share of the packets (0 … 1), zeros when there were none.
    public var shares: [Double] {
        let total = Double(totalPackets)
        return packets.map { total > 0 ? Double($0) / total : 0 }
    }

    /// The number of CPUs that processed at least one packet.
    public var cpusUsed: Int { packets.filter { $0 > 0 }.count }

    /// The receive path's order: the node's underlay (eth*), the tunnel (vxlan*), the
    /// host-side veths (cali*), then the pods' devices; the rest last.
    public var order: Int {
        if device.hasPrefix("vxlan") { return 1 }
        if device.hasPrefix("cali") { return 2 }
        if device == "lo" { return 9 }
        if device.hasPrefix("eth") { return netns.contains("pod") || netns.hasPrefix("cni-") ? 3 : 0 }
        return 5
    }
}

/// A TCP flow as its receiver sees it, and where its receive work ran.
public struct FlowLocality: Sendable, Equatable {
    public var netnsInode: UInt32
    /// The receiver's namespace name ("" host, "netns:INODE" unnamed).
    public var netns: String
    /// "10.66.2.11:5201" and the peer; IPv6 as "[addr]:port".
    public var local: String
    public var remote: String
    public var localPort: UInt16
    public var remotePort: UInt16
    /// Segments TCP processed per CPU (tcp_rcv_established; a GRO packet counts its segments).
    public var segments: [UInt64]
    /// skbs and payload bytes over all CPUs.
    public var skbs: UInt64
    public var bytes: UInt64
    /// The CPU the flow's reader last returned from a read on (this tick, or the last
    /// tick it read), its process name and id; nil when no read was seen yet.
    public var readerCPU: Int?
    public var readerCommand: String?
    public var readerPID: UInt32?
    /// Reads this tick.
    public var reads: UInt64

    public var totalSegments: UInt64 { segments.reduce(0, &+) }

    /// The share of this tick's segments processed on the reader's CPU (0 … 1), nil with no
    /// reader or no segments.
    public var locality: Double? {
        let total = totalSegments
        guard let cpu = readerCPU, total > 0, cpu >= 0, cpu < segments.count else { return nil }
        return Double(segments[cpu]) / Double(total)
    }

    /// The CPUs that processed segments of the flow.
    public var processingCPUs: [Int] { segments.indices.filter { segments[$0] > 0 } }

    /// Whether iperf3 reads it (an iperf3 stream or control connection).
    public var isIperf: Bool { readerCommand == "iperf3" }
}

extension TraceTick {
    /// The tick's stages as a sample carries them: packets per second per CPU.
    public var stageRates: [StageRate] {
        let seconds = max(self.seconds, 1e-6)
        return stages.map { StageRate(netns: $0.netns, device: $0.device, pps: $0.packets.map { Double($0) / seconds }) }
    }

    /// The tick's flows as a sample carries them: segments per second per CPU, payload
    /// bits per second, the reader and the locality.
    public var flowRates: [FlowRate] {
        let seconds = max(self.seconds, 1e-6)
        return flows.map {
            FlowRate(netns: $0.netns, local: $0.local, remote: $0.remote,
                     segments: $0.segments.map { Double($0) / seconds }, bps: Double($0.bytes) * 8 / seconds,
                     readerCPU: $0.readerCPU, reader: $0.readerCommand, locality: $0.locality)
        }
    }
}
