/// A sampling session: the sampler, the mode read back from the files, and the iperf3
/// streams, stamped with seconds since the session started. Used by record, live and
/// sweep alike.
public final class Session {
    public let sampler: Sampler
    public let steering: SteeringConfig
    /// CLOCK_MONOTONIC when the session started.
    public let start: Double
    /// Wall-clock start (RFC 3339) for the recording header.
    public let started: String
    /// Where throughput comes from, if anywhere.
    public var throughput: ThroughputFeed?
    /// The mode the files showed at the last change.
    public private(set) var mode = DetectedMode(.unknown, detail: "")
    private var modeGeneration = -1
    private var modeSockFlowEntries: Int?

    public init(targets: WatchTargets, steering: SteeringConfig, throughput: ThroughputFeed? = nil) throws(SteerError) {
        sampler = try Sampler(targets: targets)
        self.steering = steering
        self.throughput = throughput
        started = Timestamp.now()
        start = LibC.monotonic()
        let first = sampler.sample()
        mode = Steering.detect(first, nodeNetns: targets.node, config: steering)
        modeGeneration = sampler.steeringGeneration
        modeSockFlowEntries = first.sockFlowEntries
        // Open the sources now (at their end), so that the first tick sees its second.
        _ = throughput?.poll(now: 0)
    }

    /// Seconds since the session started.
    public var elapsed: Double { LibC.monotonic() - start }

    /// The next sample, with `t`, `mode` and streams filled in, and the iperf3 streams that
    /// ended since the last call.
    public func next() -> (sample: Sample, ended: [StreamEnd]) {
        var s = sampler.sample()
        s.t = elapsed
        // The mode changes only when a steering file does: recognise it again only then.
        if sampler.steeringGeneration != modeGeneration || s.sockFlowEntries != modeSockFlowEntries {
            mode = Steering.detect(s, nodeNetns: sampler.targets.node, config: steering)
            modeGeneration = sampler.steeringGeneration
            modeSockFlowEntries = s.sockFlowEntries
        }
        s.mode = mode.observed
        var ended: [StreamEnd] = []
        if let throughput {
            let update = throughput.poll(now: s.t)
            s.streams = update.streams
            s.totalBps = update.streams.isEmpty ? nil : update.streams.filter { $0.state == nil }.reduce(0) { $0 + $1.bps }
            s.missing += update.problems
            ended = update.ended
        }
        return (s, ended)
    }

    public func header(interval: Double, argv: [String], version: String) -> RecordingHeader {
        RecordingHeader(started: started, host: LibC.hostName(), kernel: LibC.kernelRelease(),
                        cpus: sampler.possibleCPUs, intervalSeconds: interval, toolVersion: version, argv: argv,
                        targets: sampler.targets.recordingTargets)
    }
}

/// A source of iperf3 stream rates (implemented in Throughput/).
public protocol ThroughputFeed: AnyObject {
    /// Reads what arrived; `now` is the session time of the sample being made.
    func poll(now: Double) -> ThroughputUpdate
}

public struct ThroughputUpdate: Sendable {
    public var streams: [StreamRate]
    public var ended: [StreamEnd]
    public var problems: [String]

    public init(streams: [StreamRate] = [], ended: [StreamEnd] = [], problems: [String] = []) {
        self.streams = streams; self.ended = ended; self.problems = problems
    }
}
