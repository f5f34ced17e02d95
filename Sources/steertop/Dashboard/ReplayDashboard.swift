import SteerKit
import SteerTUI

/// A recording played back in the same screen: at --speed, paused and stepped, jumping to
/// the start, the end, the next mode change or a time.
final class ReplayDashboard: DashboardApp {
    let path: String
    /// The recording's samples, indexed; decoded only around the cursor.
    let timeline: ReplayTimeline
    var first: Double
    var duration: Double
    var position: Double
    var speed: Double
    var paused = false
    var lastAdvance: Double
    /// When the files were last checked for growth (a recorder still writing).
    var lastRefresh: Double
    /// The sample last shown, kept when a line no longer reads.
    var shown: Sample?
    static let speeds: [Double] = [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64]

    init(timeline: ReplayTimeline, speed: Double, display: DisplayOptions) throws {
        self.timeline = timeline
        path = timeline.paths.count == 1 ? timeline.paths[0] : "\(timeline.paths[0]) +\(timeline.paths.count - 1)"
        first = timeline.time(0)
        duration = timeline.time(timeline.count - 1)
        position = first
        self.speed = speed
        lastAdvance = LibC.monotonic()
        lastRefresh = lastAdvance
        try super.init(display: display)
        state.host = timeline.header.host
        state.interval = timeline.header.intervalSeconds
        // The pods known when it was recorded: rows named and ordered as the live view did.
        state.podNames = timeline.header.pods
        state.vethPods = [timeline.header.targets.node: timeline.header.veths]
        state.title = "steertop replay"
        // Recorded with tracing: the stages and flows panels stay on screen throughout.
        state.traced = timeline.traced
        showSkipped()
    }

    func showSkipped() {
        state.malformedLines = timeline.skipped
        if let summary = timeline.skipSummary {
            state.message = .init(summary, isError: true)
        } else if let later = timeline.laterHeader {
            state.message = .init("more than one recording in \(TerminalText.escape(later.path, limit: 200)): playing the first (the next starts at line \(later.line))", isError: true)
        }
    }

    var index: Int { timeline.index(atOrBefore: position) }

    // MARK: playback

    override func secondsUntilTimer(now: Double) -> Double? {
        // Once a second the files are looked at: a recording still being written grows.
        let refresh = lastRefresh + 1 - now
        guard !paused, position < duration else { return refresh }
        // Until the next sample's time, at this speed (≤ 0: due now). A whole second of
        // the clock at most, so the header's clock ticks between sparse samples too.
        let next = min(timeline.time(min(index + 1, timeline.count - 1)), position.rounded(.down) + 1)
        return min(refresh, (next - position) / speed - (now - lastAdvance))
    }

    override func onTimer(now: Double) {
        if now - lastRefresh >= 1 {
            lastRefresh = now
            follow()
        }
        advance(now)
        dirty = true
    }

    /// Takes in what the recording gained; says so in one line when it shrank or was replaced.
    func follow() {
        let (grew, message) = timeline.refresh()
        guard grew || message != nil else { return }
        if let message { state.message = .init(message, isError: true) }
        guard timeline.count > 0 else { return }
        first = timeline.time(0)
        duration = timeline.time(timeline.count - 1)
        position = min(max(position, first), duration)
        if message == nil { state.malformedLines = timeline.skipped }
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
        guard timeline.count > 0 else { return }
        let i = index
        let history = timeline.history(endingAt: i, count: DashboardState.historyWindow)
        // The sample at the cursor, or (its line no longer reads) the last one shown.
        guard let s = history.last.flatMap({ $0.t == timeline.time(i) ? $0 : nil }) ?? shown ?? history.last else { return }
        shown = s
        state.sample = s
        state.showHistory(history)
        state.mode = s.mode
        state.modeDetail = ""
        // One clock: the cursor, which the header, the status line and jumps all show.
        state.source = .replay(file: path, position: position, duration: duration, speed: speed, paused: paused)
        if let m = timeline.modeChange(atOrBefore: s.t) {
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
        case _ where timeline.count == 0:
            return false
        case .char(" "):
            if position >= duration { position = first }
            paused.toggle()
        case .left:
            paused = true
            position = timeline.time(max(0, index - 1))
        case .right:
            paused = true
            position = timeline.time(min(timeline.count - 1, index + 1))
        case .char("["):
            speed = Self.speeds.last { $0 < speed } ?? speed
            state.message = .init("speed \(speed)x")
        case .char("]"):
            speed = Self.speeds.first { $0 > speed } ?? speed
            state.message = .init("speed \(speed)x")
        case .char("g"), .home:
            position = first
        case .char("G"), .end:
            // The newest sample, also of a recording still being written.
            lastRefresh = now
            follow()
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
        if let m = timeline.modeChange(after: here) {
            // The first sample that shows the new mode (a sample taken while the files were
            // being written still reads the old one), else the first after the switch.
            // Modes and times come from the index: no sample is decoded for this.
            let after = timeline.index(atOrAfter: m.t)
            var shows: Int?
            var k = after
            while k < timeline.count, timeline.time(k) < m.t + 15 {
                if timeline.mode(k) == m.to { shows = k; break }
                k += 1
            }
            position = (shows ?? (after < timeline.count ? after : nil)).map { timeline.time($0) } ?? m.t
        } else if let next = nextModeDifference(from: index) {
            position = timeline.time(next)
        } else {
            state.message = .init("no mode change after \(Format.clock(here))")
            return
        }
        paused = true
        state.message = .init("mode change at \(Format.clock(position))")
    }

    /// The first sample after `i` whose mode differs from its.
    func nextModeDifference(from i: Int) -> Int? {
        let here = timeline.mode(i)
        var k = i + 1
        while k < timeline.count {
            if timeline.mode(k) != here { return k }
            k += 1
        }
        return nil
    }

    override func promptDone(_ text: String) {
        guard let t = Self.parseTime(text) else {
            state.message = .init("not a time: \"\(text)\" (write 90, 1:30 or 1:02:03)", isError: true)
            return
        }
        guard timeline.count > 0 else { return }
        position = min(max(t, first), duration)
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
