/// The paper's experiment (section V): for each replica count, each run and each mode
/// (shuffled within a run), switch the mode, start the clients, record the run between
/// `run` records with the streams' receiver figures, settle, go on.
public struct SweepPlan: Equatable, Sendable {
    public var modes: [Mode]
    public var replicas: [Int]
    public var runs: Int
    public var duration: Double
    /// Seconds between runs (the clients gone, the queues drained).
    public var settle: Double
    public var seed: UInt64

    public init(modes: [Mode], replicas: [Int], runs: Int, duration: Double, settle: Double = 2, seed: UInt64 = 1) {
        self.modes = modes; self.replicas = replicas; self.runs = runs; self.duration = duration
        self.settle = settle; self.seed = seed
    }

    /// One measured run.
    public struct Step: Equatable, Hashable, Sendable {
        public var replicas: Int
        public var run: Int
        public var mode: Mode
    }

    /// Every step in order: replicas, then runs, then the modes in a per-run order that
    /// only the seed, the replicas and the run decide (so a resumed sweep repeats it).
    public var steps: [Step] {
        var out: [Step] = []
        for r in replicas {
            for run in 1...max(runs, 1) {
                var rng = SplitMix64(seed: seed ^ UInt64(r) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(run) &* 0xBF58_476D_1CE4_E5B9)
                for mode in modes.shuffled(using: &rng) { out.append(Step(replicas: r, run: run, mode: mode)) }
            }
        }
        return out
    }

    /// Seconds a step takes, about.
    public var secondsPerStep: Double { duration + settle + 2 }
}

/// A small seedable generator (SplitMix64): the sweep's order must be reproducible.
public struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Starts the iperf3 clients of one run and waits for them.
public protocol TrafficDriver: AnyObject {
    /// Starts `replicas` clients for `duration` seconds.
    func start(replicas: Int, duration: Double) throws(SteerError)
    /// True once every client has exited.
    func finished() -> Bool
    /// Stops whatever still runs.
    func stop()
}

/// The lab's clients (one per server pod).
public final class LabTrafficDriver: TrafficDriver {
    let state: StateDirectory
    var clients: [TrafficClient] = []
    public init(state: StateDirectory = .resolve()) { self.state = state }

    public func start(replicas: Int, duration: Double) throws(SteerError) {
        clients = try Traffic.start(replicas: replicas, duration: duration, state: state)
    }

    public func finished() -> Bool {
        Processes.waitForExit(clients.map(\.pid), seconds: 0)
    }

    public func stop() {
        Traffic.stop(clients, state: state)
        clients = []
    }
}

/// A user's command that starts the clients (on a cluster), as an argument array: the
/// words {replicas}, {duration}, {run} and {mode} are replaced; no shell is involved.
public final class CommandTrafficDriver: TrafficDriver {
    let template: [String]
    var pid: Int32?
    public var run = 0
    public var mode = ""

    public init(template: [String]) { self.template = template }

    public func start(replicas: Int, duration: Double) throws(SteerError) {
        let argv = template.map {
            $0.replacing("{replicas}", with: String(replicas)).replacing("{duration}", with: String(Int(duration)))
                .replacing("{run}", with: String(run)).replacing("{mode}", with: mode)
        }
        switch LibC.spawn(argv, newSession: true) {
        case .success(let p): pid = p
        case .failure(let e): throw SteerError.spawn(command: argv[0], errno: e)
        }
    }

    public func finished() -> Bool {
        guard let pid else { return true }
        return Processes.waitForExit([pid], seconds: 0)
    }

    public func stop() {
        if let pid { Processes.terminate([pid]) }
        pid = nil
    }
}

/// Runs a sweep, recording everything into one file: the record loop is a `Recorder`
/// (whose offset moves `t` to the recording's start when a resumed sweep appends), the
/// switches a `ModeSwitch`.
public final class Sweep {
    public let plan: SweepPlan
    let recorder: Recorder
    let modeSwitch: ModeSwitch
    let traffic: TrafficDriver
    var schedule: TickSchedule
    var mode: ObservedMode
    var session: Session { recorder.session }

    /// What the sweep reports as it goes.
    public enum Progress {
        case skipped(SweepPlan.Step)
        case started(SweepPlan.Step, index: Int, of: Int)
        case tick(SweepPlan.Step, seconds: Double)
        case finished(SweepPlan.Step, streams: Int, bitrate: Double?)
        case problem(String)
    }

    public init(plan: SweepPlan, recorder: Recorder, modeSwitch: ModeSwitch, traffic: TrafficDriver, interval: Double) {
        self.plan = plan; self.recorder = recorder; self.modeSwitch = modeSwitch; self.traffic = traffic
        schedule = TickSchedule(interval: interval)
        mode = recorder.session.mode.observed
    }

    var t: Double { recorder.t }

    /// The steps a recording already holds complete (a `run` start and its end with
    /// complete not false), for --resume.
    public static func completed(in path: String) throws(SteerError) -> Set<SweepPlan.Step> {
        let contents = try RecordingReader.read(path)
        var open: [String: RunMark] = [:]
        var done = Set<SweepPlan.Step>()
        for record in contents.records {
            guard case .run(let r) = record, let m = r.mode.mode else { continue }
            let key = "\(r.replicas)/\(r.run)/\(r.mode)"
            switch r.event {
            case .start: open[key] = r
            case .end:
                if open[key] != nil, r.complete != false { done.insert(SweepPlan.Step(replicas: r.replicas, run: r.run, mode: m)) }
                open[key] = nil
            }
        }
        return done
    }

    /// Runs every step not in `skip`. `stopRequested` is asked between ticks: 1 = finish
    /// the current run, then stop; 2 = stop now (the run is ended as incomplete).
    /// Returns the number of runs done.
    public func run(skip: Set<SweepPlan.Step>, stopRequested: () -> Int, progress: (Progress) -> Void) throws(SteerError) -> Int {
        let steps = plan.steps
        var done = 0
        for (index, step) in steps.enumerated() {
            if skip.contains(step) {
                progress(.skipped(step))
                continue
            }
            if stopRequested() >= 1 { break }
            progress(.started(step, index: index, of: steps.count))
            try switchMode(step.mode)
            try recorder.write(.run(RunMark(t: t, event: .start, run: step.run, mode: .mode(step.mode), replicas: step.replicas)))
            (traffic as? CommandTrafficDriver)?.run = step.run
            (traffic as? CommandTrafficDriver)?.mode = step.mode.rawValue
            try traffic.start(replicas: step.replicas, duration: plan.duration)
            let start = t
            // The run's samples are the ticks while its clients send: ticks count from the
            // start, and the run ends at the first tick that finds the clients gone, before
            // that tick's sample (mostly idle) is taken. The receiver figures the servers
            // print as the tests end come just after; stats credits them to the run.
            schedule.restart()
            var ends: [StreamEnd] = []
            var aborted = false
            var clientsGone: Double?
            while true {
                if stopRequested() >= 2 {
                    aborted = true
                    break
                }
                schedule.sleepUntilDue()
                if clientsGone == nil && (traffic.finished() || t - start > plan.duration + 30) {
                    if !traffic.finished() {
                        progress(.problem("the clients of replicas \(step.replicas) run \(step.run) \(step.mode) did not finish; stopping them"))
                    }
                    clientsGone = t
                    try recorder.write(.run(RunMark(t: t, event: .end, run: step.run, mode: .mode(step.mode),
                                                  replicas: step.replicas, complete: true)))
                }
                try sample(&ends)
                progress(.tick(step, seconds: t - start))
                if let gone = clientsGone, ends.count >= step.replicas || t - gone > 3 { break }
            }
            traffic.stop()
            if clientsGone == nil {
                try recorder.write(.run(RunMark(t: t, event: .end, run: step.run, mode: .mode(step.mode), replicas: step.replicas,
                                              complete: !aborted)))
            }
            if aborted { break }
            let bitrate = ends.isEmpty ? nil : ends.map(\.bps).reduce(0, +) / Double(ends.count)
            progress(.finished(step, streams: ends.count, bitrate: bitrate))
            if ends.count < step.replicas {
                progress(.problem("replicas \(step.replicas) run \(step.run) \(step.mode): \(ends.count) of \(step.replicas) receiver figures"))
            }
            done += 1
            // Settle, still sampling, so the recording stays continuous.
            let settleEnd = t + plan.settle
            var late: [StreamEnd] = []
            while t < settleEnd && stopRequested() < 2 { try tick(&late) }
        }
        return done
    }

    /// One tick: wait for it, sample, write.
    func tick(_ ends: inout [StreamEnd]) throws(SteerError) {
        schedule.sleepUntilDue()
        try sample(&ends)
    }

    func sample(_ ends: inout [StreamEnd]) throws(SteerError) {
        let (sample, ended) = try recorder.tick()
        ends += ended
        mode = sample.mode
    }

    func switchMode(_ to: Mode) throws(SteerError) {
        let result = modeSwitch.run(to)
        session.sampler.refreshSteering()
        try recorder.write(result, from: mode)
        mode = .mode(to)
        guard result.ok else {
            throw SteerError.invalid("switching to \(to) failed: \(result.errors.joined(separator: "; ")); the sweep stopped")
        }
    }
}
