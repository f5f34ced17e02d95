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
    /// The session's one tracer (Tracing/), read and cleared once per tick; nil when
    /// tracing is off or cannot run here, and then `traceOff` says why in one line.
    private var tracer: Tracer?
    public private(set) var traceOff: String?
    /// Whether the session's tracer runs.
    public var isTracing: Bool { tracer != nil }
    /// The most stages and flows a sample keeps (the busiest flows, iperf3's first); the
    /// rest are counted in `stagesLeftOut` / `flowsLeftOut`.
    public static let maxStages = 64
    public static let maxFlows = 32

    /// `trace`: true traces where receive work runs (root, BTF; when it cannot, the
    /// samples say why and everything else goes on); false: turned off (`--no-trace`, the
    /// samples say so); nil: not this session's business (no word of it in the samples).
    public init(targets: WatchTargets, steering: SteeringConfig, throughput: ThroughputFeed? = nil,
                trace: Bool? = nil, netnsDirectory: String = "/var/run/netns") throws(SteerError) {
        sampler = try Sampler(targets: targets)
        self.steering = steering
        self.throughput = throughput
        switch trace {
        case true?:
            do { tracer = try Tracer(netnsDirectory: netnsDirectory) } catch { traceOff = error.description }
        case false?:
            traceOff = "tracing off (--no-trace)"
        case nil:
            break
        }
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
        var connections: [String: IperfConnection] = [:]
        if let throughput {
            let update = throughput.poll(now: s.t)
            s.streams = update.streams
            s.totalBps = update.streams.isEmpty ? nil : update.streams.filter { $0.state == nil }.reduce(0) { $0 + $1.bps }
            s.missing += update.problems
            ended = update.ended
            connections = update.connections
        }
        addTrace(to: &s, connections: connections)
        return (s, ended)
    }

    /// Reads and clears the tracer's maps into the sample (capped), or says why not.
    private func addTrace(to s: inout Sample, connections: [String: IperfConnection]) {
        guard let tracer else { s.traceOff = traceOff; return }
        do {
            let tick = try tracer.read()
            let stages = tick.stageRates, flows = FlowRate.naming(tick.flowRates, by: connections)
            s.stages = Array(stages.prefix(Self.maxStages))
            s.flows = Array(flows.prefix(Self.maxFlows))
            s.stagesLeftOut = stages.count - s.stages.count
            s.flowsLeftOut = flows.count - s.flows.count
            s.missing += tick.warnings
        } catch {
            // The maps cannot be read any more: stop tracing, say why, sample on.
            tracer.stop()
            self.tracer = nil
            traceOff = error.description
            s.traceOff = traceOff
        }
    }

    /// Detaches the tracer's programs now (they go anyway when the process ends).
    public func stopTracing() {
        tracer?.stop()
        tracer = nil
        if traceOff == nil { traceOff = "tracing stopped" }
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
    /// The socket of each stream in `streams` whose connection iperf3 printed, by stream
    /// id: what names a traced flow by its stream (`FlowRate.stream`).
    public var connections: [String: IperfConnection]

    public init(streams: [StreamRate] = [], ended: [StreamEnd] = [], problems: [String] = [],
                connections: [String: IperfConnection] = [:]) {
        self.streams = streams; self.ended = ended; self.problems = problems
        self.connections = connections
    }
}
