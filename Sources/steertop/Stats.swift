import ArgumentParser
import SteerKit

extension Steertop {
    /// `steertop stats`: the paper's figures as numbers from one or more recordings.
    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mean and 95% confidence interval per replicas and mode, from recordings.",
            discussion: """
                For each (replicas, mode), over its runs: the average bitrate per stream, the \
                bitrate normalized to the baseline of the same replicas, and each core's %idle \
                and %soft. Intervals use Student's t (t(0.975, n-1) s/sqrt(n)).

                A run is a `run` start record and its matching end (runs cut short or never \
                ended are left out). A recording without run records is cut into stretches of \
                one mode, each a run after its first --warmup seconds. A run's bitrate is the \
                mean of its streams' final iperf3 receiver figures (stream_end records stamped \
                in it, or up to 10 s after its end), or else the mean total_bps of its samples \
                divided by its replicas. Runs of several files are pooled.

                Notes (skipped lines, missing baselines, single runs) go to standard error.
                """
        )

        /// The output formats.
        enum Format: String, ExpressibleByArgument, CaseIterable {
            case table, csv, json, markdown

            var steerKit: StatsFormat {
                switch self {
                case .table: return .table
                case .csv: return .csv
                case .json: return .json
                case .markdown: return .markdown
                }
            }
        }

        @Argument(help: "Recordings written by steertop (JSON Lines).")
        var files: [String]

        @Option(help: "Output: table, csv, json or markdown.")
        var format: Format = .table

        @Option(parsing: .unconditional, help: "Seconds skipped at the start of each mode stretch (recordings without run records).")
        var warmup: Double = 5

        @Flag(help: "Plain ASCII: +- for ±, # and | in the bar chart.")
        var ascii = false

        func validate() throws {
            guard !files.isEmpty else { throw ValidationError("name at least one recording") }
            guard warmup.isFinite, warmup >= 0 else { throw ValidationError("--warmup must be 0 or more seconds, not \(warmup)") }
        }

        func run() throws {
            let report: StatsReport
            do {
                report = try StatsReport.load(files, options: StatsOptions(warmup: warmup))
            } catch {
                printError("\(error)")
                throw AlreadyReportedFailure()
            }
            for note in report.notes { printError(note) }
            output(report.render(format.steerKit, ascii: ascii))
        }
    }
}
