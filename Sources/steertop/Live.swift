import ArgumentParser
import SteerKit
import SteerTUI

extension Steertop {
    struct Live: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The live dashboard (the default command).",
            discussion: """
            On the local lab when it is up (steertop lab up), else on this host. Keys: 1-5 switch to \
            baseline, rps, rps+, rfs, rfs+ (applied and read back); r records to recordings/; space pauses; \
            +/- change the interval; ←/→ (T/t) step through the session's history, End returns to live; \
            PgUp/PgDn scroll the CPUs; c next theme; ? help; q quits.
            """)

        @OptionGroup var sampling: SamplingOptions
        @OptionGroup var target: TargetOptions
        @OptionGroup var throughput: ThroughputOptions
        @OptionGroup var modeOptions: ModeOptions
        @OptionGroup var display: DisplayOptions
        @OptionGroup var tracing: TraceOptions

        @Option(parsing: .unconditional,
                help: ArgumentHelp("On the lab: start this many iperf3 clients now, stopped when you quit.", valueName: "n"))
        var traffic: Int?

        func validate() throws {
            if let traffic, traffic < 1 { throw ValidationError("--traffic must be at least 1") }
        }

        func run() throws {
            try checkTerminal()
            let resolved = try target.resolve(quiet: true)
            if traffic != nil && !resolved.isLab {
                throw SteerError.invalid("--traffic needs the lab: run `steertop lab up` first (or leave --traffic out)")
            }
            if let traffic, let pods = SteerKit.Lab.podCount(), traffic > pods {
                throw SteerError.invalid("--traffic \(traffic): the lab has \(pods) server pods; `steertop lab up --pods \(traffic)` makes more")
            }
            let session = try SteerKit.Session(targets: resolved.watch, steering: resolved.steering,
                                               throughput: try throughput.feed(for: resolved), trace: tracing.enabled)
            let online = (try? resolved.steeringTarget().onlineCPUs) ?? CPUSet(0..<LibC.configuredCPUs())
            let config = try modeOptions.apply(to: resolved.steering, online: online)
            let app = try LiveDashboard(resolved: resolved, steering: config, session: session, interval: sampling.interval,
                                        display: display, traffic: traffic)
            app.run()
            if let s = app.signals.last { note("steertop: stopped by \(signalName(s)); the terminal is restored") }
        }
    }

    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Play a recording back in the dashboard.",
            discussion: """
            Keys: space pause; ←/→ step; [ and ] speed; g/G start/end; m next mode change; / jump to a time; \
            c next theme; ? help; q quits.
            """)

        @Argument(help: ArgumentHelp("A recording written by steertop (.jsonl, .jsonl.gz, .jsonl.zst), the rotated files of one, or a directory of them.",
                                     discussion: "Each is indexed in one pass; the index is kept beside it as .<name>.steerindex where the directory is writable."))
        var files: [String]

        @Option(parsing: .unconditional, help: "Playback speed (1 = as recorded).")
        var speed: Double = 1

        @OptionGroup var display: DisplayOptions

        func validate() throws {
            guard speed > 0 && speed <= 64 else { throw ValidationError("--speed must be more than 0 and at most 64") }
        }

        func run() throws {
            try checkTerminal()
            let timeline = try ReplayTimeline(files, keep: 2 * DashboardState.historyWindow) { note("steertop: \($0)") }
            let app = try ReplayDashboard(timeline: timeline, speed: speed, display: display)
            app.run()
        }
    }
}
