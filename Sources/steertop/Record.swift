import ArgumentParser
import SteerKit

#if canImport(Glibc)
import Glibc
#endif

/// Sampling options shared by sample, record and live.
struct SamplingOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds between samples.", valueName: "seconds"))
    var interval: Double = 1

    func validate() throws {
        guard interval.isFinite, interval >= 0.1, interval <= 3600 else {
            throw ValidationError("--interval must be between 0.1 and 3600 seconds (got \(interval))")
        }
    }
}

extension Steertop {
    struct Sample: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print one sample (a JSON line of the recording format).")

        @Flag(help: "One sample (the default; kept for scripts that say so).")
        var once = false

        @OptionGroup var sampling: SamplingOptions
        @OptionGroup var target: TargetOptions

        func run() throws {
            let resolved = try target.resolve()
            let session = try SteerKit.Session(targets: resolved.watch, steering: resolved.steering)
            LibC.sleep(sampling.interval)
            let (sample, _) = session.next()
            output(RecordCodec.line(.sample(sample)))
        }
    }

    struct Record: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record samples headless to a JSON Lines file (format v1, docs/recording-format.md).",
            discussion: "Stops when the duration ends or on SIGINT, SIGTERM or SIGHUP, and closes the file cleanly.")

        @OptionGroup var sampling: SamplingOptions

        @Option(parsing: .unconditional, help: ArgumentHelp("Seconds to record (default: until interrupted).", valueName: "seconds"))
        var duration: Double?

        @Option(help: ArgumentHelp("The file (default: recordings/steertop-DATE-TIME.jsonl); never overwritten.", valueName: "path"))
        var out: String?

        @OptionGroup var target: TargetOptions
        @OptionGroup var throughput: ThroughputOptions

        func validate() throws {
            if let duration, !(duration > 0 && duration <= 366 * 86_400) {
                throw ValidationError("--duration must be more than 0 seconds and at most a year (leave it out to record until interrupted)")
            }
        }

        func run() throws {
            let resolved = try target.resolve()
            let path = try out ?? Locations.newRecordingPath()
            let signals = try SignalPipe([SIGINT, SIGTERM, SIGHUP])
            let session = try SteerKit.Session(targets: resolved.watch, steering: resolved.steering,
                                               throughput: try throughput.feed(for: resolved))
            let writer = try RecordingWriter(creating: path, header: session.header(
                interval: sampling.interval, argv: CommandLine.arguments, version: Steertop.version))
            note("recording to \(path) every \(sampling.interval) s " + (duration.map { "for \($0) s" } ?? "until interrupted (^C)"))
            let recorder = Recorder(session: session, writer: writer)
            var schedule = TickSchedule(interval: sampling.interval, start: session.start)
            var stoppedBy: Int32?
            while true {
                if let s = signals.wait(schedule.wait()) {
                    stoppedBy = s
                    break
                }
                if !schedule.isDue() { continue }
                let (sample, _) = try recorder.tick()
                if let duration, sample.t >= duration - sampling.interval / 2 { break }
                schedule.ticked()
            }
            recorder.close()
            let why = stoppedBy.map { " (stopped by \(signalName($0)))" } ?? ""
            note("recorded \(recorder.samples) samples (\(writer.lines) lines, \(writer.bytes) bytes) to \(path)\(why)")
        }
    }
}

func signalName(_ s: Int32) -> String {
    switch s {
    case SIGINT: return "SIGINT"
    case SIGTERM: return "SIGTERM"
    case SIGHUP: return "SIGHUP"
    default: return "signal \(s)"
    }
}
