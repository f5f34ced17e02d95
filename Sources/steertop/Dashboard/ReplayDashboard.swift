import SteerKit
import SteerTUI

/// A recording played back in the same screen: at --speed, paused and stepped, jumping to
/// the start, the end, the next mode change or a time.
final class ReplayDashboard: DashboardApp {
    let path: String
    let samples: [Sample]
    let modeChanges: [ModeChange]
    let duration: Double
    var position: Double
    var speed: Double
    var paused = false
    var lastAdvance: Double
    static let speeds: [Double] = [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64]

    init(path: String, contents: RecordingReader.Contents, speed: Double, display: DisplayOptions) throws {
        self.path = path
        var samples: [Sample] = []
        var modes: [ModeChange] = []
        var absurd = 0
        for r in contents.records {
            // A time no recording has (a damaged or crafted line) is skipped like a malformed one.
            if let t = r.t, !(t.isFinite && abs(t) < 1e9) {
                absurd += 1
                continue
            }
            switch r {
            case .sample(let s): samples.append(s)
            case .mode(let m): modes.append(m)
            default: break
            }
        }
        guard !samples.isEmpty else {
            throw SteerError.invalid("\(path) holds no samples to replay (\(contents.records.count) other records)")
        }
        self.samples = samples.sorted { $0.t < $1.t }
        modeChanges = modes.sorted { $0.t < $1.t }
        duration = self.samples.last!.t
        position = self.samples.first!.t
        self.speed = speed
        lastAdvance = LibC.monotonic()
        try super.init(display: display)
        state.host = contents.header.host
        state.malformedLines = contents.problems.count + (contents.truncatedLastLine ? 1 : 0) + absurd
        state.interval = contents.header.intervalSeconds
        if state.malformedLines > 0 {
            state.message = .init("\(state.malformedLines) malformed line\(state.malformedLines == 1 ? "" : "s") skipped"
                                  + (contents.problems.first.map { " (first: line \($0.line))" } ?? ""), isError: true)
        }
        state.title = "steertop replay"
        // Recorded with tracing: the stages and flows panels stay on screen throughout.
        state.traced = self.samples.contains { !$0.stages.isEmpty || !$0.flows.isEmpty }
    }

    var index: Int {
        // The last sample at or before the position.
        var lo = 0, hi = samples.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if samples[mid].t <= position + 1e-9 { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    // MARK: playback

    override func secondsUntilTimer(now: Double) -> Double? {
        guard !paused, position < duration else { return nil }
        // Until the next sample's time, at this speed (≤ 0: due now). A whole second of
        // the clock at most, so the header's clock ticks between sparse samples too.
        let next = min(samples[min(index + 1, samples.count - 1)].t, position.rounded(.down) + 1)
        return (next - position) / speed - (now - lastAdvance)
    }

    override func onTimer(now: Double) {
        advance(now)
        dirty = true
    }

    func advance(_ now: Double) {
        if !paused {
            position = min(duration, position + (now - lastAdvance) * speed)
            if position >= duration {
                paused = true
                state.message = .init("end of the recording; g goes back to the start")
            }
        }
        lastAdvance = now
    }

    override func prepareFrame() {
        advance(LibC.monotonic())
        let i = index
        let s = samples[i]
        state.sample = s
        state.showHistory(samples[max(0, i - DashboardState.historyWindow + 1)...i])
        state.mode = s.mode
        state.modeDetail = ""
        // One clock: the cursor, which the header, the status line and jumps all show.
        state.source = .replay(file: path, position: position, duration: duration, speed: speed, paused: paused)
        if let m = modeChanges.last(where: { $0.t <= s.t + 1e-9 }) {
            state.switchStatus = .init(target: m.to.name, phase: m.ok ? .ok : .failed,
                                       message: m.ok ? "from \(m.from), \(m.writes.count) files written" : (m.errors.first ?? "failed"),
                                       time: Format.clock(m.t))
        } else {
            state.switchStatus = nil
        }
    }

    // MARK: keys

    override func handle(_ key: Key, alone: Bool) -> Bool {
        let now = LibC.monotonic()
        advance(now)
        switch key {
        case .char(" "):
            if position >= duration { position = samples.first!.t }
            paused.toggle()
        case .left:
            paused = true
            position = samples[max(0, index - 1)].t
        case .right:
            paused = true
            position = samples[min(samples.count - 1, index + 1)].t
        case .char("["):
            speed = Self.speeds.last { $0 < speed } ?? speed
            state.message = .init("speed \(speed)x")
        case .char("]"):
            speed = Self.speeds.first { $0 > speed } ?? speed
            state.message = .init("speed \(speed)x")
        case .char("g"), .home:
            position = samples.first!.t
        case .char("G"), .end:
            position = duration
            paused = true
        case .char("m"):
            jumpToNextModeChange()
        case .char("/"):
            prompt = ("jump to time (seconds, m:ss or h:mm:ss): ", "", .jump)
        default:
            return false
        }
        lastAdvance = now
        return true
    }

    /// The next `mode` record, or else the next sample whose mode differs.
    func jumpToNextModeChange() {
        let here = position
        if let m = modeChanges.first(where: { $0.t > here + 1e-9 }) {
            // The first sample that shows the new mode (a sample taken while the files were
            // being written still reads the old one), else the first after the switch.
            let after = samples.drop { $0.t < m.t }
            let shows = after.prefix(while: { $0.t < m.t + 15 }).first { $0.mode == m.to }
            position = (shows ?? after.first)?.t ?? m.t
        } else if let next = samples[index...].first(where: { $0.mode != samples[index].mode }) {
            position = next.t
        } else {
            state.message = .init("no mode change after \(Format.clock(here))")
            return
        }
        paused = true
        state.message = .init("mode change at \(Format.clock(position))")
    }

    override func promptDone(_ text: String) {
        guard let t = Self.parseTime(text) else {
            state.message = .init("not a time: \"\(text)\" (write 90, 1:30 or 1:02:03)", isError: true)
            return
        }
        position = min(max(t, samples.first!.t), duration)
        paused = true
        state.message = .init("at \(Format.clock(position))")
    }

    /// "90", "1:30", "1:02:03", "12.5" → seconds.
    static func parseTime(_ text: String) -> Double? {
        let parts = text.trimmingCharacters().split(separator: ":", omittingEmptySubsequences: false)
        guard !parts.isEmpty, parts.count <= 3 else { return nil }
        var total = 0.0
        for p in parts {
            guard let v = Double(p), v >= 0 else { return nil }
            total = total * 60 + v
        }
        return total
    }
}
