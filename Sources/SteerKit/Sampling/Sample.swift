/// What Sampling makes each tick (`Sampler.sample()`, completed by `Session.next()`): the
/// `sample` record of format v1. The keys it is written with are in RecordSchema.Sample.

/// One rx queue's steering files.
public struct QueueState: Equatable, Sendable {
    public var queue: Int
    /// rps_cpus as the kernel prints it ("3", "00000000,0000000f"); nil where unreadable.
    public var rpsCPUs: String?
    /// rps_flow_cnt; nil where unreadable.
    public var rpsFlowCount: Int?

    public init(queue: Int, rpsCPUs: String?, rpsFlowCount: Int?) {
        self.queue = queue; self.rpsCPUs = rpsCPUs; self.rpsFlowCount = rpsFlowCount
    }

    /// rps_cpus as a CPU set (nil where unreadable or not a mask).
    public var rpsCPUSet: CPUSet? { rpsCPUs.flatMap { CPUSet(mask: $0) } }
}

/// One interface over one tick.
public struct InterfaceSample: Equatable, Sendable {
    public var name: String
    /// "" for the host's (steertop's own) namespace.
    public var netns: String
    public var rxBps = 0.0, txBps = 0.0, rxPps = 0.0, txPps = 0.0
    public var queues: [QueueState] = []

    public init(name: String, netns: String, rxBps: Double = 0, txBps: Double = 0, rxPps: Double = 0,
                txPps: Double = 0, queues: [QueueState] = []) {
        self.name = name; self.netns = netns; self.rxBps = rxBps; self.txBps = txBps
        self.rxPps = rxPps; self.txPps = txPps; self.queues = queues
    }
}

/// One iperf3 stream's throughput over the tick.
public struct StreamRate: Equatable, Sendable {
    public var id: String
    public var bps: Double
    /// nil while the stream reports; "stale" when it stopped reporting, or an error text.
    public var state: String?

    public init(id: String, bps: Double, state: String? = nil) {
        self.id = id; self.bps = bps; self.state = state
    }
}

/// What the kernel said over one tick: the `sample` record of format v1.
public struct Sample: Equatable, Sendable {
    /// Seconds since the recording (or the session) started.
    public var t: Double
    /// The steering mode read back from the files.
    public var mode: ObservedMode
    public var cpus: [CPUUsage]
    /// NET_RX and NET_TX softirqs per second, indexed like `cpus`.
    public var netRX: [Double]
    public var netTX: [Double]
    public var softnet: [SoftnetRates]
    public var ifaces: [InterfaceSample]
    /// /proc/sys/net/core/rps_sock_flow_entries; nil where it cannot be read.
    public var sockFlowEntries: Int?
    public var streams: [StreamRate]
    /// Sum of the streams that report; nil when no stream is known.
    public var totalBps: Double?
    /// What could not be read this tick, in words ("netns steer-server-pod3 vanished").
    public var missing: [String]
    /// Where the receive work ran (kernel tracing, docs/tracing.md): each device of the
    /// receive path, and the TCP flows received; empty when not traced.
    public var stages: [StageRate]
    public var flows: [FlowRate]
    /// Stages and flows the tick had beyond what a sample keeps (`Session.maxStages`,
    /// `Session.maxFlows`): the count left out, 0 when none were.
    public var stagesLeftOut: Int
    public var flowsLeftOut: Int
    /// Why there are no stages and flows, in one line ("tracing off (--no-trace)",
    /// "tracing unavailable: … needs root"); nil while tracing runs.
    public var traceOff: String?

    public init(t: Double = 0, mode: ObservedMode = .unknown, cpus: [CPUUsage] = [], netRX: [Double] = [],
                netTX: [Double] = [], softnet: [SoftnetRates] = [], ifaces: [InterfaceSample] = [],
                sockFlowEntries: Int? = nil, streams: [StreamRate] = [], totalBps: Double? = nil,
                missing: [String] = [], stages: [StageRate] = [], flows: [FlowRate] = [],
                stagesLeftOut: Int = 0, flowsLeftOut: Int = 0, traceOff: String? = nil) {
        self.t = t; self.mode = mode; self.cpus = cpus; self.netRX = netRX; self.netTX = netTX
        self.softnet = softnet; self.ifaces = ifaces; self.sockFlowEntries = sockFlowEntries
        self.streams = streams; self.totalBps = totalBps; self.missing = missing
        self.stages = stages; self.flows = flows; self.stagesLeftOut = stagesLeftOut
        self.flowsLeftOut = flowsLeftOut; self.traceOff = traceOff
    }

    /// The mean locality of the tick's flows that have one, weighted by their segments
    /// (nil when no flow has a reader and segments).
    public var meanLocality: Double? {
        var local = 0.0, total = 0.0
        for f in flows {
            guard let l = f.locality else { continue }
            let n = f.totalSegments
            local += l * n
            total += n
        }
        return total > 0 ? local / total : nil
    }
}

/// A device of the receive path over one tick, from tracing (net:netif_receive_skb): the
/// packets each CPU processed, per second.
public struct StageRate: Equatable, Sendable {
    /// The namespace's name, "" for the host's; the device's name.
    public var netns: String
    public var device: String
    /// Packets per second processed on each CPU (indexed by CPU).
    public var pps: [Double]

    public init(netns: String, device: String, pps: [Double]) {
        self.netns = netns; self.device = device; self.pps = pps
    }

    public var totalPps: Double { pps.reduce(0, +) }

    /// Each CPU's share of the packets (0 … 1), zeros when there were none.
    public var shares: [Double] {
        let total = totalPps
        return pps.map { total > 0 ? $0 / total : 0 }
    }
}

/// A TCP flow received over one tick, from tracing: where TCP processed its segments
/// (tcp:tcp_probe) and where its reader ran (sock:sock_recv_length).
public struct FlowRate: Equatable, Sendable {
    /// The receiver's namespace ("" host), its local and remote endpoints ("10.66.2.11:5201").
    public var netns: String
    public var local: String
    public var remote: String
    /// Segments per second processed on each CPU (indexed by CPU).
    public var segments: [Double]
    /// Payload bits per second.
    public var bps: Double
    /// The CPU the reader last ran on and its command; nil when no read was seen.
    public var readerCPU: Int?
    public var reader: String?
    /// The share of the tick's segments processed on the reader's CPU (0 … 1).
    public var locality: Double?
    /// The iperf3 stream this flow carries, as the throughput panel names it
    /// ("pod1/t1/7"): the receiver's data, or the sender's side of it (its ACKs). nil
    /// when no stream's socket matches.
    public var stream: String?

    public init(netns: String, local: String, remote: String, segments: [Double], bps: Double,
                readerCPU: Int? = nil, reader: String? = nil, locality: Double? = nil, stream: String? = nil) {
        self.netns = netns; self.local = local; self.remote = remote; self.segments = segments
        self.bps = bps; self.readerCPU = readerCPU; self.reader = reader; self.locality = locality
        self.stream = stream
    }

    public var totalSegments: Double { segments.reduce(0, +) }

    /// Each CPU's share of the segments (0 … 1).
    public var shares: [Double] {
        let total = totalSegments
        return segments.map { total > 0 ? $0 / total : 0 }
    }
}
