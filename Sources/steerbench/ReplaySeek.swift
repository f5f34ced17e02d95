#if canImport(Glibc)
import Glibc
#endif
import SteerKit
import SteerTUI

/// `steerbench replay-seek FILE --path whole|indexed [--jumps 100] [--seed 1]`: what replay
/// does to show a frame, without a terminal, through the same SteerKit and SteerTUI calls
/// as ReplayDashboard's, for benchmarks/replay.sh. Prints one line of figures:
///
/// - `first_frame_s`: from the start until the first frame's data is ready: the recording
///   opened (whole: every line read and decoded, the samples sorted, as replay did before
///   the index; indexed: `ReplayTimeline`, its index loaded or built) and the history
///   window of the first sample decoded and taken by `DashboardState.showHistory`.
/// - `rss_first_mb`, `rss_G_mb`, `rss_jumps_mb`: VmRSS after the first frame, after `G`
///   (the frame of the last sample) and after N random `/` jumps (each a frame at a time
///   drawn uniformly over the recording); `hwm_mb` the peak (VmHWM).
/// - `jump_ms_mean`, `jump_ms_p50`, `jump_ms_max`: the time of each jump's frame.
enum ReplaySeek {
    static let usage = "FILE --path whole|indexed [--jumps 100] [--seed 1]   replay's first frame, G and random jumps: time and memory"

    static func main(_ args: [String]) -> Int32 {
        var file: String?
        var path = ""
        var jumps = 100
        var seed: UInt64 = 1
        var k = 0
        while k < args.count {
            switch args[k] {
            case "--path" where k + 1 < args.count: path = args[k + 1]; k += 2
            case "--jumps" where k + 1 < args.count: jumps = Int(args[k + 1]) ?? -1; k += 2
            case "--seed" where k + 1 < args.count: seed = UInt64(args[k + 1]) ?? 1; k += 2
            default:
                if file == nil && !args[k].hasPrefix("-") { file = args[k]; k += 1 } else {
                    printError("replay-seek: unexpected argument \(args[k]); usage: replay-seek \(usage)")
                    return 2
                }
            }
        }
        guard let file, path == "whole" || path == "indexed", jumps >= 0 else {
            printError("replay-seek: usage: replay-seek \(usage)")
            return 2
        }
        do {
            let start = LibC.monotonic()
            let frames: Frames = path == "whole" ? try Whole(file) : try Indexed(file)
            var state = DashboardState()
            frames.show(at: frames.first, into: &state)
            let firstFrame = LibC.monotonic() - start
            let rssFirst = memory("VmRSS")
            frames.show(at: frames.last, into: &state)
            let rssG = memory("VmRSS")
            var random = StatsGen.Random(state: seed)
            var times: [Double] = []
            for _ in 0..<jumps {
                let t = frames.first + random.uniform() * (frames.last - frames.first)
                let a = LibC.monotonic()
                frames.show(at: t, into: &state)
                times.append((LibC.monotonic() - a) * 1000)
            }
            let rssJumps = memory("VmRSS")
            times.sort()
            let mean = times.isEmpty ? 0 : times.reduce(0, +) / Double(times.count)
            let figures: [(String, String)] = [
                ("path", path), ("origin", frames.origin), ("samples", "\(frames.count)"),
                ("first_frame_s", fixed(firstFrame, 3)), ("rss_first_mb", fixed(rssFirst, 1)), ("rss_G_mb", fixed(rssG, 1)),
                ("rss_jumps_mb", fixed(rssJumps, 1)), ("hwm_mb", fixed(memory("VmHWM"), 1)), ("jumps", "\(jumps)"),
                ("jump_ms_mean", fixed(mean, 2)), ("jump_ms_p50", fixed(times.isEmpty ? 0 : times[times.count / 2], 2)),
                ("jump_ms_max", fixed(times.last ?? 0, 2)),
            ]
            print(figures.map { "\($0.0)=\($0.1)" }.joined(separator: " "))
            return 0
        } catch {
            printError("replay-seek: \(error)")
            return 1
        }
    }

    /// A line of /proc/self/status in MB.
    static func memory(_ key: String) -> Double {
        guard case .success(let text) = LibC.readText("/proc/self/status") else { return -1 }
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            let kb = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Double($0) } ?? -1
            return kb / 1024
        }
        return -1
    }
}

protocol Frames {
    var first: Double { get }
    var last: Double { get }
    var count: Int { get }
    var origin: String { get }
    /// What ReplayDashboard.prepareFrame takes for the cursor at `t`.
    func show(at t: Double, into state: inout DashboardState)
}

/// Replay as it was before the index: the whole file read, every sample kept.
final class Whole: Frames {
    let samples: [Sample]
    init(_ file: String) throws {
        let contents = try RecordingReader.read(file)
        samples = contents.records.compactMap { r -> Sample? in
            if case .sample(let s) = r, s.t.isFinite, abs(s.t) < 1e9 { return s }
            return nil
        }.sorted { $0.t < $1.t }
        guard !samples.isEmpty else { throw SteerError.invalid("\(file) holds no samples") }
    }
    var first: Double { samples.first!.t }
    var last: Double { samples.last!.t }
    var count: Int { samples.count }
    var origin: String { "none" }
    func show(at t: Double, into state: inout DashboardState) {
        var lo = 0, hi = samples.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if samples[mid].t <= t + 1e-9 { lo = mid } else { hi = mid - 1 }
        }
        state.sample = samples[lo]
        state.showHistory(samples[max(0, lo - DashboardState.historyWindow + 1)...lo])
    }
}

/// Replay through the index: ReplayTimeline, as the dashboard opens it.
final class Indexed: Frames {
    let timeline: ReplayTimeline
    init(_ file: String) throws {
        timeline = try ReplayTimeline([file], keep: 2 * DashboardState.historyWindow)
    }
    var first: Double { timeline.time(0) }
    var last: Double { timeline.time(timeline.count - 1) }
    var count: Int { timeline.count }
    var origin: String {
        switch timeline.origins[0] {
        case .loaded: return "warm"
        case .built: return "cold"
        case .rebuilt: return "rebuilt"
        }
    }
    func show(at t: Double, into state: inout DashboardState) {
        let history = timeline.history(endingAt: timeline.index(atOrBefore: t), count: DashboardState.historyWindow)
        state.sample = history.last
        state.showHistory(history)
    }
}
