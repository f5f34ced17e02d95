/// The first line of a recording.
public struct RecordingHeader: Equatable, Sendable {
    public static let format = "steertop-recording"
    public var version = 1
    /// RFC 3339, UTC.
    public var started: String
    public var host: String
    public var kernel: String
    public var cpus: Int
    public var intervalSeconds: Double
    public var toolName = "steertop"
    public var toolVersion: String
    public var argv: [String]
    public var targets: RecordingTargets
    /// The pods known when recording started: netns name → "namespace/pod", and each
    /// node-side veth → its pod, so replay names rows as the live view did. Empty when
    /// unknown (a recording of a plain host, or an older one).
    public var pods: [String: String] = [:]
    public var veths: [String: String] = [:]

    public init(started: String, host: String, kernel: String, cpus: Int, intervalSeconds: Double,
                toolVersion: String, argv: [String], targets: RecordingTargets) {
        self.started = started; self.host = host; self.kernel = kernel; self.cpus = cpus
        self.intervalSeconds = intervalSeconds; self.toolVersion = toolVersion; self.argv = argv
        self.targets = targets
    }
}

/// What a recording watched.
public struct RecordingTargets: Equatable, Sendable {
    /// The node's namespace: "" for the host, "steer-server" in the lab.
    public var node: String
    public var ifaces: [String]
    public var netns: [String]
    public var podIfaces: [String]

    public init(node: String, ifaces: [String], netns: [String], podIfaces: [String]) {
        self.node = node; self.ifaces = ifaces; self.netns = netns; self.podIfaces = podIfaces
    }
}

/// One file written by a mode switch.
public struct FileWrite: Equatable, Sendable {
    public var netns: String
    public var path: String
    public var before: String
    public var after: String

    public init(netns: String, path: String, before: String, after: String) {
        self.netns = netns; self.path = path; self.before = before; self.after = after
    }
}

/// A mode switch: the `mode` record.
public struct ModeChange: Equatable, Sendable {
    public var t: Double
    public var from: ObservedMode
    public var to: ObservedMode
    public var ok: Bool
    public var writes: [FileWrite]
    public var errors: [String]

    public init(t: Double, from: ObservedMode, to: ObservedMode, ok: Bool, writes: [FileWrite], errors: [String]) {
        self.t = t; self.from = from; self.to = to; self.ok = ok; self.writes = writes; self.errors = errors
    }
}

/// Marks one measured run: the `run` record.
public struct RunMark: Equatable, Sendable {
    public enum Event: String, Sendable { case start, end }
    public var t: Double
    public var event: Event
    public var run: Int
    public var mode: ObservedMode
    public var replicas: Int
    /// On `end`: false when the run was cut short (interrupted sweep); such runs are
    /// redone by `sweep --resume` and left out of the statistics.
    public var complete: Bool?

    public init(t: Double, event: Event, run: Int, mode: ObservedMode, replicas: Int, complete: Bool? = nil) {
        self.t = t; self.event = event; self.run = run; self.mode = mode; self.replicas = replicas
        self.complete = complete
    }
}

/// An iperf3 stream's own final receiver figure: the `stream_end` record.
public struct StreamEnd: Equatable, Sendable {
    public var t: Double
    public var id: String
    public var bps: Double
    public var bytes: Double
    public var seconds: Double

    public init(t: Double, id: String, bps: Double, bytes: Double, seconds: Double) {
        self.t = t; self.id = id; self.bps = bps; self.bytes = bytes; self.seconds = seconds
    }
}

/// A free-text line: the `note` record.
public struct Note: Equatable, Sendable {
    public var t: Double
    public var text: String

    public init(t: Double, text: String) { self.t = t; self.text = text }
}

/// One line of a recording.
public enum Record: Equatable, Sendable {
    case header(RecordingHeader)
    case sample(Sample)
    case mode(ModeChange)
    case run(RunMark)
    case streamEnd(StreamEnd)
    case note(Note)
    /// A type this version does not know (kept so that readers can count it).
    case unknown(type: String)

    public var t: Double? {
        switch self {
        case .header, .unknown: return nil
        case .sample(let s): return s.t
        case .mode(let m): return m.t
        case .run(let r): return r.t
        case .streamEnd(let e): return e.t
        case .note(let n): return n.t
        }
    }
}
