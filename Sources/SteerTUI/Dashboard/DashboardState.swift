import SteerKit

/// Everything the dashboard shows, filled in by the app on every tick or key press.
/// A plain value: the view reads it and draws; it never changes it.
public struct DashboardState: Equatable, Sendable {
    /// Where the samples come from.
    public enum Source: Equatable, Sendable {
        /// Watching this node now; `target` says what (e.g. "eth1 + 4 pods").
        case live(target: String)
        /// Playing back a recording: position and duration in seconds of recording time.
        case replay(file: String, position: Double, duration: Double, speed: Double, paused: Bool)
    }

    /// The last mode switch the user asked for.
    public struct SwitchStatus: Equatable, Sendable {
        public enum Phase: Equatable, Sendable { case inProgress, ok, failed }
        /// The mode switched to (baseline, rps, rps+, rfs, rfs+).
        public var target: String
        public var phase: Phase
        /// What happened, in words ("permission denied writing eth1 rx-0 rps_cpus"); may be "".
        public var message: String
        /// When, as the app wants it shown ("12:03:04").
        public var time: String

        public init(target: String, phase: Phase, message: String = "", time: String = "") {
            self.target = target; self.phase = phase; self.message = message; self.time = time
        }
    }

    /// A recording in progress.
    public struct RecorderStatus: Equatable, Sendable {
        public var path: String
        public var lines: Int
        public var bytes: Int

        public init(path: String, lines: Int, bytes: Int) { self.path = path; self.lines = lines; self.bytes = bytes }
    }

    /// Looking at an older sample of this session instead of the newest.
    public struct HistoryPosition: Equatable, Sendable {
        /// How far back, in seconds (12 shows as "-12s").
        public var secondsAgo: Double
        /// 0-based index of the sample shown among `count` kept.
        public var index: Int
        public var count: Int

        public init(secondsAgo: Double, index: Int, count: Int) {
            self.secondsAgo = secondsAgo; self.index = index; self.count = count
        }
    }

    /// A one-line message for the user (a key's result, a warning, an error).
    public struct Message: Equatable, Sendable {
        public var text: String
        public var isError: Bool

        public init(_ text: String, isError: Bool = false) { self.text = text; self.isError = isError }
    }

    public var title = "steertop"
    public var host = ""
    public var source: Source = .live(target: "")
    /// The sample shown; nil until the first one.
    public var sample: Sample?
    /// Total iperf3 throughput in bits/s, one value per tick, oldest first (the app keeps
    /// as many as the widest sparkline could show; the view takes the newest that fit).
    public var throughputHistory: [Double] = []
    /// The tick number (sample time / interval) of `throughputHistory[0]`: the chart's
    /// columns are aligned on tick numbers, so a column keeps its samples as new ones come.
    public var throughputFirstTick = 0
    /// Where the mode changed in `throughputHistory`, marked on the chart's time axis.
    public var modeMarks: [ModeMark] = []
    /// The steering mode in force: baseline, rps, rps+, rfs, rfs+, custom or unknown.
    public var mode: ObservedMode = .unknown
    /// What the mode amounts to, e.g. "rps_cpus 0-3 · flow 32768"; may be "".
    public var modeDetail = ""
    /// In history: the mode in force now, when it is not the mode of the sample shown.
    public var kernelMode: ObservedMode?
    public var switchStatus: SwitchStatus?
    /// nil when not recording.
    public var recorder: RecorderStatus?
    /// Live sampling paused (the screen keeps the last sample).
    public var paused = false
    /// Sampling interval in seconds.
    public var interval = 1.0
    /// nil when showing the newest sample.
    public var history: HistoryPosition?
    public var message: Message?
    public var showHelp = false
    /// netns name -> pod name, for the namespaces that are known to belong to a pod.
    public var podNames: [String: String] = [:]
    /// netns name -> interface -> the pod it is the veth of ("namespace/pod").
    public var vethPods: [String: [String: String]] = [:]
    /// The interfaces table's order, filter (a substring of pod, namespace or interface;
    /// "" for all) and first row shown (clamped by the view, see Layout.ifaceScrollMax).
    public var ifaceOrder = InterfaceOrder.path
    public var ifaceFilter = ""
    public var ifaceScroll = 0
    /// Drops and squeezes of the last minute up to the sample shown (Pressure.recent);
    /// empty: the CPU panel counts those of the sample shown only.
    public var pressure: [Pressure] = []
    /// Lines of a replayed recording that could not be parsed.
    public var malformedLines = 0
    /// The first CPU shown when not all fit (rounded down to the start of its row; the
    /// view clamps it, see DashboardView.Layout for the page size and the limit).
    public var cpuScroll = 0
    /// Kernel tracing ran for these samples (live: the session traces; replay: the
    /// recording has stages or flows): the stages and flows panels show even on a tick
    /// without packets, and do not come and go with the traffic.
    public var traced = false

    public init() {}

    /// How the interfaces table is sorted (`s` cycles).
    public enum InterfaceOrder: String, CaseIterable, Sendable {
        /// The receive path: the node's interfaces, then each pod, its veth beside its eth0.
        case path
        /// Busiest (rx) first.
        case rate
        /// By pod or namespace, then interface name.
        case name

        /// In the table's title ("by rx"); nil for the default order.
        public var title: String? {
            switch self {
            case .path: return nil
            case .rate: return "by rx"
            case .name: return "by name"
            }
        }

        /// What `s` says it switched to.
        public var sentence: String {
            switch self {
            case .path: return "in receive-path order"
            case .rate: return "busiest first"
            case .name: return "by name"
            }
        }

        public var next: InterfaceOrder {
            let all = Self.allCases
            return all[(all.firstIndex(of: self)! + 1) % all.count]
        }
    }

    /// A change of mode between two values of `throughputHistory`.
    public struct ModeMark: Equatable, Sendable {
        /// The index in `throughputHistory` of the first value in the new mode.
        public var index: Int
        public var mode: ObservedMode

        public init(index: Int, mode: ObservedMode) { self.index = index; self.mode = mode }
    }

    /// How many samples the history views take: the widest chart, and a minute of
    /// pressure at the shortest interval.
    public static let historyWindow = 600

    /// Takes what the history views show from `samples`, oldest first, ending at the
    /// sample shown: the throughput chart, its mode marks, and the last minute's pressure.
    public mutating func showHistory<C: BidirectionalCollection>(_ samples: C) where C.Element == Sample {
        let window = samples.suffix(Self.historyWindow)
        throughputHistory = window.map { $0.totalBps ?? 0 }
        throughputFirstTick = window.first.map { Self.tick($0.t, interval: interval) } ?? 0
        modeMarks = []
        var previous: ObservedMode?
        for (i, s) in window.enumerated() {
            if let previous, s.mode != previous { modeMarks.append(ModeMark(index: i, mode: s.mode)) }
            previous = s.mode
        }
        pressure = Pressure.recent(in: window)
    }

    /// The tick number of a sample taken `t` seconds into the session.
    static func tick(_ t: Double, interval: Double) -> Int {
        guard interval > 0, t.isFinite, t >= 0, t / interval < 1e15 else { return 0 }
        return Int((t / interval).rounded())
    }

    /// The iperf3 streams of the sample shown.
    public var streams: [StreamRate] { sample?.streams ?? [] }
}
