import DequeModule
import SteerKit
import SteerTUI

#if canImport(Glibc)
import Glibc
#endif

/// The live dashboard: samples every interval, keeps an in-memory history to step back
/// through, switches modes on a worker thread (the screen keeps updating), records on `r`.
final class LiveDashboard: DashboardApp {
    let session: Session
    let resolved: ResolvedTarget
    let steeringConfig: SteeringConfig
    var interval: Double
    var nextTick: Double
    /// Samples of this session, oldest first (an hour at 1 s).
    var history = Deque<Sample>()
    let historyLimit = 3600
    /// nil = live; else the index into `history` shown.
    var viewing: Int?
    var recorder: RecordingWriter?
    var recordingStart = 0.0
    var recordingSamples = 0
    /// The mode switch on the worker thread, and the pipe it wakes the loop with.
    var switching: Mode?
    let wake: (read: Int32, write: Int32)
    let switchResult = Handoff<(SteeringResult, from: String)>()
    var steeringTarget: SteeringTarget?
    var traffic: [TrafficClient] = []
    /// The pod namespaces whose names are shown (see renamePodsIfChanged).
    private var knownPods: [String] = []
    let stateDirectory: StateDirectory
    static let intervals: [Double] = [0.5, 1, 2, 5, 10, 30]

    init(resolved: ResolvedTarget, steering: SteeringConfig, session: Session, interval: Double,
         display: DisplayOptions, traffic replicas: Int?) throws {
        self.resolved = resolved
        self.session = session
        steeringConfig = steering
        self.interval = interval
        stateDirectory = StateDirectory.resolve()
        switch LibC.pipe(nonBlocking: true) {
        case .success(let p): wake = p
        case .failure(let e): throw SteerError.spawn(command: "pipe", errno: e)
        }
        nextTick = LibC.monotonic() + interval
        try super.init(display: display)
        state.source = .live(target: resolved.summary)
        state.interval = interval
        state.podNames = resolved.podNames
        state.vethPods = [resolved.watch.node: resolved.vethPods]
        knownPods = session.sampler.podNamespaces
        if let replicas {
            do {
                traffic = try Traffic.start(replicas: replicas, duration: 0, state: stateDirectory)
                state.message = .init("started \(traffic.count) iperf3 clients (stopped when you quit)")
            } catch {
                state.message = .init("--traffic: \(error)", isError: true)
            }
        }
    }

    override func shutdown() {
        super.shutdown()
        // A switch still running on the worker thread: wait for it (kubectl can take
        // seconds), so that the files are not left half-written without a word.
        if let mode = switching {
            note("steertop: waiting for the switch to \(mode) to finish…")
            _ = LibC.pollReadable([wake.read], timeout: 60)
            onReadable(wake.read)
            if let s = state.switchStatus, s.phase != .inProgress {
                note("steertop: switch to \(s.target) \(s.phase == .ok ? "done" : "FAILED"): \(s.message)")
            } else {
                note("steertop: the switch to \(mode) did not finish within a minute; check with `steertop status`")
            }
        }
        if let recorder {
            recorder.close()
            self.recorder = nil
        }
        if !traffic.isEmpty {
            Traffic.stop(traffic, state: stateDirectory)
            traffic = []
        }
    }

    // MARK: sampling

    override func secondsUntilTimer(now: Double) -> Double? { nextTick - now }

    override func onTimer(now: Double) {
        let (sample, ended) = session.next()
        renamePodsIfChanged()
        history.append(sample)
        if history.count > historyLimit {
            history.removeFirst()
            if let v = viewing { viewing = max(0, v - 1) }
        }
        if let recorder {
            var s = sample
            s.t -= recordingStart
            do {
                try recorder.write(.sample(s))
                recordingSamples += 1
                for var e in ended {
                    e.t -= recordingStart
                    try recorder.write(.streamEnd(e))
                }
            } catch {
                state.message = .init("recording stopped: \(error)", isError: true)
                recorder.close()
                self.recorder = nil
            }
        }
        nextTick += interval
        if nextTick < now { nextTick = now + interval }
        if !state.paused || viewing != nil { dirty = true }
    }

    /// Pod names and veths are looked up again only when the set of pod namespaces changes
    /// (a pod came or went), never per tick. The lab names its pods itself.
    private func renamePodsIfChanged() {
        let now = session.sampler.podNamespaces
        guard now != knownPods, !resolved.isLab else { return }
        knownPods = now
        let node = resolved.watch.node
        let directory = PodDirectory.lookUp(node: node, pods: now, netnsDirectory: resolved.watch.netnsDirectory,
                                            socket: resolved.runtimeEndpoint)
        state.podNames = directory.names
        var veths: [String: String] = [:]
        for iface in directory.veths.keys { veths[iface] = directory.pod(ofNodeInterface: iface) }
        state.vethPods = [node: veths]
    }

    override func prepareFrame() {
        if let v = viewing, v < history.count {
            state.sample = history[v]
            let last = history.last!.t
            state.history = .init(secondsAgo: last - history[v].t, index: v, count: history.count)
            state.throughputHistory = history.prefix(v + 1).suffix(600).map { $0.totalBps ?? 0 }
        } else if !state.paused || state.sample == nil {
            state.sample = history.last
            state.history = nil
            state.throughputHistory = history.suffix(600).map { $0.totalBps ?? 0 }
        }
        if let s = state.sample, viewing != nil {
            state.mode = s.mode
            state.modeDetail = ""
        } else {
            state.mode = session.mode.name
            state.modeDetail = session.mode.detail
        }
        state.recorder = recorder.map { .init(path: $0.path, lines: $0.lines, bytes: $0.bytes) }
    }

    // MARK: keys

    override func handle(_ key: Key) -> Bool {
        switch key {
        case .char(let c) where ("1"..."5").contains(c):
            switchMode(Mode.allCases[Int(String(c))! - 1])
        case .char("r"):
            toggleRecording()
        case .char(" "):
            state.paused.toggle()
            state.message = .init(state.paused ? "paused: sampling and recording go on; space to go on" : "live")
        case .char("+"), .char("="):
            setInterval(Self.intervals.first { $0 > interval } ?? interval)
        case .char("-"):
            setInterval(Self.intervals.last { $0 < interval } ?? interval)
        case .left, .char("T"):
            guard !history.isEmpty else { return true }
            viewing = max(0, (viewing ?? history.count - 1) - 1)
        case .right, .char("t"):
            if let v = viewing { viewing = v + 1 >= history.count - 1 ? nil : v + 1 }
        case .end:
            viewing = nil
        default:
            return false
        }
        return true
    }

    func setInterval(_ new: Double) {
        guard new != interval else { return }
        interval = new
        state.interval = new
        nextTick = LibC.monotonic() + new
        state.message = .init("sampling every \(new) s")
    }

    // MARK: recording

    func toggleRecording() {
        if let recorder {
            recorder.close()
            self.recorder = nil
            state.message = .init("recorded \(recordingSamples) samples to \(recorder.path)")
            return
        }
        do {
            let path = try defaultRecordingPath()
            var header = session.header(interval: interval, argv: CommandLine.arguments, version: Steertop.version)
            header.started = Timestamp.now()
            recorder = try RecordingWriter(creating: path, header: header)
            recordingStart = session.elapsed
            recordingSamples = 0
            state.message = .init("recording to \(path); r stops")
        } catch {
            state.message = .init("cannot record: \(error)", isError: true)
        }
    }

    // MARK: switching

    func switchMode(_ mode: Mode) {
        if let switching {
            state.message = .init("still switching to \(switching); wait for it", isError: true)
            return
        }
        guard LibC.isRoot else {
            state.switchStatus = .init(target: mode.rawValue, phase: .failed, message: "switching modes needs root: run steertop with sudo",
                                       time: clock())
            return
        }
        do {
            if steeringTarget == nil { steeringTarget = try resolved.steeringTarget() }
        } catch {
            state.switchStatus = .init(target: mode.rawValue, phase: .failed, message: "\(error)", time: clock())
            return
        }
        switching = mode
        state.switchStatus = .init(target: mode.rawValue, phase: .inProgress, message: "switching…", time: clock())
        let job = SwitchJob(target: steeringTarget!, config: steeringConfig, mode: mode, from: session.mode.name,
                            state: stateDirectory, handoff: switchResult, wake: wake.write)
        if !LibC.detachedThread({ job.run() }) {
            switching = nil
            state.switchStatus = .init(target: mode.rawValue, phase: .failed, message: "cannot start a thread", time: clock())
        }
    }

    override var extraDescriptors: [Int32] { [wake.read] }

    override func onReadable(_ fd: Int32) {
        guard fd == wake.read else { return }
        var byte: UInt8 = 0
        while case .success(1) = withUnsafeMutableBytes(of: &byte, { LibC.read(wake.read, $0) }) {}
        guard let (result, from) = switchResult.value else { return }
        switchResult.value = nil
        switching = nil
        session.sampler.refreshSteering()
        let ms = (result.seconds * 10_000).rounded() / 10
        if result.ok {
            state.switchStatus = .init(target: result.mode, phase: .ok,
                                       message: "\(result.written.count) files written, all read back, \(ms) ms", time: clock())
        } else {
            let took = result.written.count
            state.switchStatus = .init(target: result.mode, phase: .failed,
                                       message: "\(result.errors.first ?? "failed")" + (took > 0 ? " (\(took) writes took effect; `steertop restore` undoes them)" : ""),
                                       time: clock())
        }
        if let recorder {
            try? recorder.write(.mode(result.record(t: session.elapsed - recordingStart, from: from)))
        }
        // Show the switch at once, not at the next tick.
        nextTick = LibC.monotonic()
        dirty = true
    }

    func clock() -> String {
        let f = LibC.utcFields(LibC.wallClock().seconds)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(two(f.hour)):\(two(f.minute)):\(two(f.second))Z"
    }
}

/// A mode switch run on a worker thread: plan, snapshot, write, read back.
final class SwitchJob: @unchecked Sendable {
    let target: SteeringTarget
    let config: SteeringConfig
    let mode: Mode
    let from: String
    let state: StateDirectory
    let handoff: Handoff<(SteeringResult, from: String)>
    let wake: Int32

    init(target: SteeringTarget, config: SteeringConfig, mode: Mode, from: String, state: StateDirectory,
         handoff: Handoff<(SteeringResult, from: String)>, wake: Int32) {
        self.target = target; self.config = config; self.mode = mode; self.from = from
        self.state = state; self.handoff = handoff; self.wake = wake
    }

    func run() {
        let plan = Steering.plan(mode, target: target, config: config)
        var result: SteeringResult
        do {
            try Snapshot.saveBefore(plan, state: state, key: StateDirectory.key(nodeNetns: target.nodeNetns))
            if plan.writes.count <= 1 {
                result = SteeringResult(mode: mode.rawValue, writes: [], errors: [
                    "nothing to steer: no interface matches \(config.nodeIfaces) (see --iface)"], seconds: 0)
            } else {
                result = Steering.apply(plan, target: target)
            }
        } catch {
            result = SteeringResult(mode: mode.rawValue, writes: [], errors: ["\(error)"], seconds: 0)
        }
        handoff.value = (result, from)
        _ = LibC.writeAll(wake, [1])
    }
}
