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

/// Kernel tracing (docs/tracing.md), on by default for live, record and sweep.
struct TraceOptions: ParsableArguments {
    @Flag(name: .customLong("no-trace"),
          help: "Do not trace where receive work runs (the stages and flows panels and keys; tracing needs root and BTF and costs some throughput).")
    var noTrace = false

    var enabled: Bool { !noTrace }
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
        @OptionGroup var tracing: TraceOptions

        @Option(parsing: .unconditional, help: ArgumentHelp("Seconds to record (default: until interrupted).", valueName: "seconds"))
        var duration: Double?

        @Option(help: ArgumentHelp("The file (default: recordings/steertop-DATE-TIME.jsonl); never overwritten. A name ending in .jsonl.zst or .jsonl.gz is written compressed.", valueName: "path"))
        var out: String?

        @Option(help: ArgumentHelp("Compress the recording: zstd or gzip (adds .zst or .gz to the file name).", valueName: "zstd|gzip"))
        var compress: String?

        @Option(help: ArgumentHelp("Start a new file (with its own header, between whole samples) at this size or age: 100M, 1G, 30m, 1h, 1d. Files are named NAME.0001.jsonl, NAME.0002.jsonl…", valueName: "size|duration"))
        var rotate: String?

        @Option(help: ArgumentHelp("With --rotate: keep at most N files, deleting the oldest of this recorder's own.", valueName: "N"))
        var keep: Int?

        @Option(help: ArgumentHelp("With --rotate: keep at most this many bytes in all (100M, 1G), deleting the oldest of this recorder's own files.", valueName: "size"))
        var maxTotal: String?

        @OptionGroup var target: TargetOptions
        @OptionGroup var throughput: ThroughputOptions

        func validate() throws {
            if let duration, !(duration > 0 && duration <= 366 * 86_400) {
                throw ValidationError("--duration must be more than 0 seconds and at most a year (leave it out to record until interrupted)")
            }
            if let compress, compression(compress) == nil {
                throw ValidationError("--compress must be zstd or gzip (got \(compress))")
            }
            if let out, let compress, let kind = compression(compress), RecordingCompression(path: out) != .none,
               RecordingCompression(path: out) != kind {
                throw ValidationError("--out \(out) and --compress \(compress) disagree; name the file .jsonl\(kind.suffix) or leave --compress out")
            }
            if let rotate, RotationPolicy.size(rotate) == nil && RotationPolicy.duration(rotate) == nil {
                throw ValidationError("--rotate takes a size (100M, 1G) or a duration (30m, 1h, 1d), not \(rotate)")
            }
            if let keep, !(keep >= 1 && keep <= 100_000) {
                throw ValidationError("--keep must be between 1 and 100000 files")
            }
            if let maxTotal, RotationPolicy.size(maxTotal) == nil {
                throw ValidationError("--max-total takes a size (100M, 1G), not \(maxTotal)")
            }
            if rotate == nil && (keep != nil || maxTotal != nil) {
                throw ValidationError("--keep and --max-total need --rotate (a single file is never deleted)")
            }
        }

        func compression(_ name: String) -> RecordingCompression? {
            switch name {
            case "zstd", "zst": return .zstd
            case "gzip", "gz": return .gzip
            default: return nil
            }
        }

        var policy: RotationPolicy? {
            guard let rotate else { return nil }
            return RotationPolicy(maxBytes: RotationPolicy.size(rotate), maxSeconds: RotationPolicy.duration(rotate),
                                  keep: keep, maxTotalBytes: maxTotal.flatMap(RotationPolicy.size))
        }

        func run() throws {
            let resolved = try target.resolve()
            var path = try out ?? Locations.newRecordingPath()
            if let kind = compress.flatMap(compression), RecordingCompression(path: path) == .none { path += kind.suffix }
            let signals = try SignalPipe([SIGINT, SIGTERM, SIGHUP])
            let session = try SteerKit.Session(targets: resolved.watch, steering: resolved.steering,
                                               throughput: try throughput.feed(for: resolved), trace: tracing.enabled)
            if let off = session.traceOff, tracing.enabled { note("steertop: \(off); recording without stages and flows") }
            let header = resolved.recordingHeader(session, interval: sampling.interval)
            let writer: any RecordingSink
            let rotating: RotatingRecordingWriter?
            if let policy {
                let r = try RotatingRecordingWriter(base: path, header: header, policy: policy)
                writer = r
                rotating = r
            } else {
                writer = try RecordingWriter(creating: path, header: header)
                rotating = nil
            }
            note("recording to \(writer.path) every \(sampling.interval) s " + (duration.map { "for \($0) s" } ?? "until interrupted (^C)"))
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
                if let rotating {
                    // Between whole samples only: each file holds whole samples.
                    let gone = rotating.deleted.count
                    if let next = try rotating.sampleDone(t: sample.t) {
                        let removed = rotating.deleted.dropFirst(gone)
                        note("continuing in \(next)" + (removed.isEmpty ? "" : "; deleted \(removed.joined(separator: ", ")) (--keep/--max-total)"))
                    }
                }
                if let duration, sample.t >= duration - sampling.interval / 2 { break }
                schedule.ticked()
            }
            recorder.close()
            let why = stoppedBy.map { " (stopped by \(signalName($0)))" } ?? ""
            let files = rotating.map { " in \($0.files.count + $0.deleted.count) files, the last \($0.path)" } ?? " to \(path)"
            note("recorded \(recorder.samples) samples (\(writer.lines) lines, \(writer.bytes) bytes)\(files)\(why)")
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
