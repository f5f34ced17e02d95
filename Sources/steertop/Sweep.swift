import ArgumentParser
import SteerKit

#if canImport(Glibc)
import Glibc
#endif

extension Steertop {
    struct Sweep: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the paper's experiment: modes × replica counts × runs, recorded in one file.",
            discussion: """
            For each replica count, each run and each mode (in an order shuffled within each run, \
            reproducible with --seed), steertop switches the mode, starts the clients, records the run \
            between `run` records with the streams' iperf3 receiver figures, settles, and goes on. \
            ^C finishes the current run and stops (^C again stops at once); --resume skips the runs \
            already complete in --out. It ends by printing `steertop stats` of the file and puts the \
            steering files back as they were. On the lab it needs nothing else; on a cluster give \
            --iperf-pods and --clients-cmd.
            """)

        @Option(help: ArgumentHelp("Modes, comma-separated.", valueName: "list"))
        var modes = ModeListArgument(Mode.allCases)

        @Option(help: ArgumentHelp("Replica counts (client/server pairs), comma-separated.", valueName: "list"))
        var replicas: String = "1,2,4,8,16"

        @Option(parsing: .unconditional, help: "Runs of each (replicas, mode).")
        var runs: Int = 20

        @Option(parsing: .unconditional, help: ArgumentHelp("Seconds each run's clients send.", valueName: "seconds"))
        var duration: Double = 30

        @Option(parsing: .unconditional, help: ArgumentHelp("Seconds between runs.", valueName: "seconds"))
        var settle: Double = 2

        @Option(help: "Seed of the mode order.")
        var seed: UInt64 = 1

        @Flag(help: "Use the local lab (brought up with enough pods if needed). The default when no --clients-cmd is given.")
        var lab = false

        @Option(help: ArgumentHelp("On a cluster: the command that starts the clients, words {replicas} {duration} {run} {mode} replaced; no shell.",
                                   valueName: "command"))
        var clientsCmd: String?

        @Option(help: ArgumentHelp("The recording (appended to with --resume).", valueName: "path"))
        var out: String?

        @Flag(help: "Skip the runs already complete in --out.")
        var resume = false

        @Option(parsing: .unconditional, help: ArgumentHelp("Seconds between samples.", valueName: "seconds"))
        var interval: Double = 1

        @OptionGroup var target: TargetOptions
        @OptionGroup var modeOptions: ModeOptions
        @OptionGroup var throughput: ThroughputOptions
        @OptionGroup var tracing: TraceOptions

        func validate() throws {
            if let m = modes.invalid {
                throw ValidationError("unknown mode \"\(m)\"; choose among \(Mode.names)")
            }
            guard !modes.modes.isEmpty else { throw ValidationError("--modes is empty") }
            let rs = replicas.split(separator: ",").map { Int($0) }
            guard !rs.isEmpty, rs.allSatisfy({ ($0 ?? 0) >= 1 }) else {
                throw ValidationError("--replicas must be positive numbers, comma-separated (e.g. 1,2,4,8,16)")
            }
            guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
            guard duration.isFinite, duration >= 1, duration <= SteerKit.Traffic.maxDuration else {
                throw ValidationError("--duration must be between 1 and \(Int(SteerKit.Traffic.maxDuration)) seconds")
            }
            guard settle.isFinite, settle >= 0, settle <= 3600 else { throw ValidationError("--settle must be between 0 and 3600 seconds") }
            guard clientsCmd != nil || rs.allSatisfy({ ($0 ?? 0) <= 64 }) else {
                throw ValidationError("--replicas must be at most 64 on the lab (its largest size)")
            }
            guard runs <= 10_000 else { throw ValidationError("--runs must be at most 10000") }
            guard interval >= 0.1 && interval <= 60 else { throw ValidationError("--interval must be between 0.1 and 60 seconds") }
            if resume && out == nil { throw ValidationError("--resume needs --out: the recording to continue") }
            if lab && clientsCmd != nil { throw ValidationError("--lab and --clients-cmd exclude each other") }
            if clientsCmd != nil && throughput.iperfPods == nil && throughput.iperfLogs.isEmpty {
                throw ValidationError("--clients-cmd needs --iperf-pods or --iperf-log to see the streams")
            }
        }

        func run() throws {
            guard LibC.isRoot else { throw SteerError.notRoot(action: "steertop sweep") }
            let plan = SweepPlan(
                modes: modes.modes,
                replicas: replicas.split(separator: ",").compactMap { Int($0) }, runs: runs, duration: duration,
                settle: settle, seed: seed)
            let state = StateDirectory.resolve()
            let useLab = clientsCmd == nil
            if useLab {
                let need = plan.replicas.max()!
                if (SteerKit.Lab.podCount(state) ?? 0) < need {
                    note("bringing the lab up with \(need) pods per node")
                    try SteerKit.Lab.up(pods: need, state: state, log: note)
                }
            }
            let resolved = try target.resolve()
            guard !useLab || resolved.isLab else {
                throw SteerError.invalid("the sweep on the lab takes no target options (--iface, --netns, --host)")
            }
            let steeringTarget = try resolved.steeringTarget()
            let config = try modeOptions.apply(to: resolved.steering, online: steeringTarget.onlineCPUs)
            let path = try out ?? Locations.newRecordingPath(prefix: "sweep")

            var skip = Set<SweepPlan.Step>()
            var offset = 0.0
            let session = try SteerKit.Session(targets: resolved.watch, steering: resolved.steering,
                                               throughput: try throughput.feed(for: resolved), trace: tracing.enabled)
            let writer: RecordingWriter
            if resume && LibC.access(path, F_OK) {
                let contents = try RecordingReader.read(path)
                skip = try SteerKit.Sweep.completed(in: path)
                offset = max(0, (Timestamp.parse(session.started) ?? 0) - (Timestamp.parse(contents.header.started) ?? 0))
                writer = try RecordingWriter(appendingTo: path)
                try writer.write(.note(Note(t: offset, text: "sweep resumed: \(skip.count) runs already complete")))
                note("resuming \(path): \(skip.count) of \(plan.steps.count) runs already complete")
            } else {
                writer = try RecordingWriter(creating: path, header: resolved.recordingHeader(session, interval: interval))
            }
            defer { writer.close() }

            // The files as they were when this sweep began, to put back at the end: saved
            // beside the other snapshots, so that a resumed sweep puts back the same.
            let before = Steering.plan(.baseline, target: steeringTarget, config: config)
            try Snapshot.saveBefore(before, state: state, key: StateDirectory.key(nodeNetns: steeringTarget.nodeNetns))
            let sweepSnapshot = state.snapshots + "/sweep-" + String(SHA1.hex(absolutePath(path)).prefix(12)) + ".json"
            let restoreTo: Snapshot
            if resume, let saved = try? Snapshot.load(sweepSnapshot) {
                restoreTo = saved
            } else {
                restoreTo = Snapshot(plan: before, target: "sweep \(path)")
                try restoreTo.save(sweepSnapshot)
            }

            let traffic: TrafficDriver = useLab
                ? LabTrafficDriver(state: state)
                : CommandTrafficDriver(template: clientsCmd!.split(separator: " ").map(String.init))
            let sweep = SteerKit.Sweep(plan: plan, recorder: Recorder(session: session, writer: writer, offset: offset),
                                       modeSwitch: ModeSwitch(target: steeringTarget, config: config, snapshots: nil),
                                       traffic: traffic, interval: interval)
            let signals = try SignalPipe([SIGINT, SIGTERM, SIGHUP])
            var interrupts = 0
            let progressBar = ProgressBar(total: plan.steps.count - skip.count, secondsPerStep: plan.secondsPerStep)
            note("sweep: \(plan.modes.count) modes × replicas \(plan.replicas.map(String.init).joined(separator: ",")) × \(runs) runs × \(Int(duration)) s into \(path)")
            let done: Int
            do {
                done = try sweep.run(skip: skip, stopRequested: {
                    // Each signal counts once: read them off the pipe.
                    let new = signals.drain()
                    if new > 0 && interrupts == 0 {
                        progressBar.message("finishing the current run, then stopping (^C again to stop now)")
                    }
                    interrupts += new
                    return interrupts
                }, progress: { progressBar.update($0) })
            } catch {
                traffic.stop()
                _ = Steering.restore(restoreTo, target: steeringTarget)
                throw error
            }
            progressBar.finish()
            let restored = Steering.restore(restoreTo, target: steeringTarget)
            if !restored.ok { note("could not put every steering file back: \(restored.errors.joined(separator: "; "))") }
            if interrupts == 0 { _ = LibC.unlink(sweepSnapshot) }
            writer.close()
            note("\(done) runs recorded in \(path)" + (interrupts > 0 ? " (interrupted; --resume continues)" : ""))
            let report = try StatsReport.load([path])
            for n in report.notes { note("steertop: \(n)") }
            output(report.render(.table))
        }
    }
}

/// A one-line progress bar with an ETA on stderr.
final class ProgressBar {
    let total: Int
    let secondsPerStep: Double
    var finished = 0
    let start = LibC.monotonic()
    var label = ""
    let tty = LibC.isTerminal(2)

    init(total: Int, secondsPerStep: Double) {
        self.total = max(total, 1)
        self.secondsPerStep = secondsPerStep
    }

    func update(_ p: SteerKit.Sweep.Progress) {
        switch p {
        case .skipped: return
        case .started(let step, _, _):
            label = "replicas \(step.replicas) run \(step.run) \(step.mode)"
            draw(0)
        case .tick(_, let seconds):
            draw(seconds)
        case .finished(let step, let streams, let bitrate):
            finished += 1
            let rate = bitrate.map { " \(fmtRate($0)) per stream" } ?? ""
            if !tty { note("done \(finished)/\(total): replicas \(step.replicas) run \(step.run) \(step.mode), \(streams) streams\(rate)") }
        case .problem(let text):
            message(text)
        }
    }

    func draw(_ seconds: Double) {
        guard tty else { return }
        let width = 30
        let fraction = Double(finished) / Double(total)
        let filled = Int(fraction * Double(width))
        let elapsed = LibC.monotonic() - start
        let perStep = finished > 0 ? elapsed / Double(finished) : secondsPerStep
        let eta = Int(perStep * Double(total - finished) - min(seconds, perStep))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let text = "\r[\(bar)] \(finished)/\(total) \(label) \(Int(seconds))s  ETA \(eta / 3600)h\(pad2(eta / 60 % 60))m\(pad2(eta % 60))s \u{1b}[K"
        _ = LibC.writeAll(2, Array(text.utf8))
    }

    func message(_ text: String) {
        _ = LibC.writeAll(2, Array(((tty ? "\r\u{1b}[K" : "") + text + "\n").utf8))
    }

    func finish() {
        if tty { _ = LibC.writeAll(2, Array("\r\u{1b}[K".utf8)) }
    }

    func pad2(_ v: Int) -> String { v < 10 ? "0\(max(v, 0))" : "\(v)" }
}

/// The path made absolute (for a name that is the same from any directory).
func absolutePath(_ path: String) -> String {
    if path.hasPrefix("/") { return path }
    var buf = [CChar](repeating: 0, count: 4096)
    guard getcwd(&buf, buf.count) != nil else { return path }
    return String(cString: buf) + "/" + path
}

func fmtRate(_ bps: Double) -> String {
    bps >= 1e9 ? "\((bps / 1e7).rounded() / 100) Gbit/s" : "\((bps / 1e4).rounded() / 100) Mbit/s"
}
