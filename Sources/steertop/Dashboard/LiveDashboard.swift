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
    var schedule: TickSchedule
    /// Samples of this session, oldest first (an hour at 1 s).
    var history = Deque<Sample>()
    let historyLimit = 3600
    /// nil = live; else the index into `history` shown.
    var viewing: Int?
    /// Recording on `r`: its offset is minus the session time it started at.
    var recorder: Recorder?
    /// The mode switch on the worker thread, and the pipe it wakes the loop with.
    var switching: SwitchAction?
    let wake: (read: Int32, write: Int32)
    let switchResult = Handoff<(SteeringResult, from: ObservedMode)>()
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
        schedule = TickSchedule(interval: interval)
        try super.init(display: display)
        state.source = .live(target: resolved.summary)
        state.interval = interval
        state.podNames = resolved.podNames
        state.traced = session.isTracing
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

    override func secondsUntilTimer(now: Double) -> Double? { schedule.next - now }

    override func onTimer(now: Double) {
        let (sample, ended) = session.next()
        renamePodsIfChanged()
        history.append(sample)
        if history.count > historyLimit {
            history.removeFirst()
            if let v = viewing { viewing = max(0, v - 1) }
        }
        if let recorder {
            do {
                try recorder.write(sample, ended: ended)
            } catch {
                state.message = .init("recording stopped: \(error)", isError: true)
                recorder.close()
                self.recorder = nil
            }
        }
        schedule.ticked(now: now)
        // Paused, the screen keeps its sample; the recorder's counts in the status line
        // still move.
        if !state.paused || viewing != nil || recorder != nil { dirty = true }
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
            state.showHistory(history.prefix(v + 1))
        } else if !state.paused || state.sample == nil {
            state.sample = history.last
            state.history = nil
            state.showHistory(history)
        }
        if let s = state.sample, viewing != nil {
            state.mode = s.mode
            state.modeDetail = ""
            // History shows the sample's mode; say so when the kernel is elsewhere now.
            state.kernelMode = session.mode.observed != s.mode ? session.mode.observed : nil
        } else {
            state.mode = session.mode.observed
            state.modeDetail = session.mode.detail
            state.kernelMode = nil
        }
        state.recorder = recorder.map { .init(path: $0.writer.path, lines: $0.writer.lines, bytes: $0.writer.bytes) }
    }

    // MARK: keys

    override func handle(_ key: Key, alone: Bool) -> Bool {
        switch key {
        case .char(let c) where ("1"..."5").contains(c) || c == "u":
            // The keys that change the kernel: only pressed on their own, in the live view.
            let action: SwitchAction = c == "u" ? .undo : .mode(Mode.allCases[Int(String(c))! - 1])
            if !alone {
                state.message = .init("\(c) arrived with other keys (a paste?): ignored; press it on its own", isError: true)
            } else if viewing != nil {
                state.message = .init("this is history: End returns to live, then \(c) \(action.verb)", isError: true)
            } else {
                startSwitch(action)
            }
        case .char("r"):
            toggleRecording()
        case .char("/"):
            askFilter()
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
        schedule.restart(interval: new)
        state.message = .init("sampling every \(new) s")
    }

    // MARK: recording

    func toggleRecording() {
        if let recorder {
            recorder.close()
            self.recorder = nil
            state.message = .init("recorded \(recorder.samples) samples to \(recorder.writer.path)")
            return
        }
        do {
            let path = try Locations.newRecordingPath()
            var header = session.header(interval: interval, argv: CommandLine.arguments, version: Steertop.version)
            header.started = Timestamp.now()
            header.pods = state.podNames
            header.veths = state.vethPods[session.sampler.targets.node] ?? [:]
            let writer = try RecordingWriter(creating: path, header: header)
            recorder = Recorder(session: session, writer: writer, offset: -session.elapsed)
            state.message = .init("recording to \(path); r stops")
        } catch {
            state.message = .init("cannot record: \(error)", isError: true)
        }
    }

    // MARK: switching

    /// A switch to a mode, or the undo of the last one (u).
    enum SwitchAction: CustomStringConvertible {
        case mode(Mode)
        case undo

        /// As the status line names it: "switched to rfs", "switched to previous settings (undo)".
        var description: String {
            switch self {
            case .mode(let m): return m.rawValue
            case .undo: return "previous settings (undo)"
            }
        }

        var verb: String {
            switch self {
            case .mode(let m): return "switches to \(m)"
            case .undo: return "undoes the last switch"
            }
        }
    }

    func startSwitch(_ action: SwitchAction) {
        if let switching {
            state.message = .init("still switching to \(switching); wait for it", isError: true)
            return
        }
        guard LibC.isRoot else {
            state.switchStatus = .init(target: action.description, phase: .failed,
                                       message: "switching modes needs root: run steertop with sudo", time: clock())
            return
        }
        do {
            if steeringTarget == nil { steeringTarget = try resolved.steeringTarget() }
        } catch {
            state.switchStatus = .init(target: action.description, phase: .failed, message: "\(error)", time: clock())
            return
        }
        switching = action
        state.switchStatus = .init(target: action.description, phase: .inProgress, message: "switching…", time: clock())
        let job = SwitchJob(modeSwitch: ModeSwitch(target: steeringTarget!, config: steeringConfig, snapshots: stateDirectory),
                            action: action, from: session.mode.observed, handoff: switchResult, wake: wake.write)
        if !LibC.detachedThread({ job.run() }) {
            switching = nil
            state.switchStatus = .init(target: action.description, phase: .failed, message: "cannot start a thread", time: clock())
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
        let target = result.mode == ModeSwitch.undoLabel ? SwitchAction.undo.description : result.mode
        if result.ok {
            state.switchStatus = .init(target: target, phase: .ok,
                                       message: "\(result.written.count) files written, all read back, \(ms) ms", time: clock())
        } else {
            let took = result.written.count
            state.switchStatus = .init(target: target, phase: .failed,
                                       message: "\(result.errors.first ?? "failed")" + (took > 0 ? " (\(took) writes took effect; `steertop restore` undoes them)" : ""),
                                       time: clock())
        }
        if let recorder {
            try? recorder.write(result, from: from)
        }
        // Show the switch at once, not at the next tick.
        schedule.dueNow()
        dirty = true
    }

    func clock() -> String {
        let f = LibC.utcFields(LibC.wallClock().seconds)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(two(f.hour)):\(two(f.minute)):\(two(f.second))Z"
    }
}

/// A mode switch run on a worker thread (`ModeSwitch`: plan, check, snapshot, write, read
/// back); the result goes through `handoff` and a byte on `wake`.
final class SwitchJob: @unchecked Sendable {
    let modeSwitch: ModeSwitch
    let action: LiveDashboard.SwitchAction
    let from: ObservedMode
    let handoff: Handoff<(SteeringResult, from: ObservedMode)>
    let wake: Int32

    init(modeSwitch: ModeSwitch, action: LiveDashboard.SwitchAction, from: ObservedMode,
         handoff: Handoff<(SteeringResult, from: ObservedMode)>, wake: Int32) {
        self.modeSwitch = modeSwitch; self.action = action; self.from = from; self.handoff = handoff; self.wake = wake
    }

    func run() {
        let result: SteeringResult
        switch action {
        case .mode(let mode): result = modeSwitch.run(mode)
        case .undo: result = modeSwitch.undo()
        }
        handoff.value = (result, from)
        _ = LibC.writeAll(wake, [1])
    }
}
