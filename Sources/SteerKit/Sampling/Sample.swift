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

    public init(t: Double = 0, mode: ObservedMode = .unknown, cpus: [CPUUsage] = [], netRX: [Double] = [],
                netTX: [Double] = [], softnet: [SoftnetRates] = [], ifaces: [InterfaceSample] = [],
                sockFlowEntries: Int? = nil, streams: [StreamRate] = [], totalBps: Double? = nil,
                missing: [String] = []) {
        self.t = t; self.mode = mode; self.cpus = cpus; self.netRX = netRX; self.netTX = netTX
        self.softnet = softnet; self.ifaces = ifaces; self.sockFlowEntries = sockFlowEntries
        self.streams = streams; self.totalBps = totalBps; self.missing = missing
    }
}
