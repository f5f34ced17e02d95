/// The record loop, one use case for `steertop record`, the dashboard's `r` and the sweep:
/// a session's samples and the iperf3 streams that ended with them, and the mode switches,
/// written to one recording with `t` in the recording's time base.
public final class Recorder {
    public let session: Session
    /// One file (RecordingWriter) or a rotating set (RotatingRecordingWriter).
    public let writer: any RecordingSink
    /// Added to the session's clock so that `t` counts from the recording's start: negative
    /// when a recording starts mid-session (the dashboard's `r`), positive when a resumed
    /// sweep appends to a file started earlier, 0 when both start together.
    public let offset: Double
    /// Samples written so far.
    public private(set) var samples = 0

    public init(session: Session, writer: any RecordingSink, offset: Double = 0) {
        self.session = session; self.writer = writer; self.offset = offset
    }

    /// Now, in the recording's time.
    public var t: Double { session.elapsed + offset }

    /// Takes the session's next sample and writes it with the streams that ended; returns
    /// both as written (`t` in the recording's time).
    @discardableResult
    public func tick() throws(SteerError) -> (sample: Sample, ended: [StreamEnd]) {
        let (sample, ended) = session.next()
        return try write(sample, ended: ended)
    }

    /// Writes a sample the session made (and the streams that ended with it), moved to the
    /// recording's time; returns them as written.
    @discardableResult
    public func write(_ sample: Sample, ended: [StreamEnd]) throws(SteerError) -> (sample: Sample, ended: [StreamEnd]) {
        var s = sample
        s.t += offset
        try writer.write(.sample(s))
        samples += 1
        var out: [StreamEnd] = []
        out.reserveCapacity(ended.count)
        for var e in ended {
            e.t += offset
            try writer.write(.streamEnd(e))
            out.append(e)
        }
        return (s, out)
    }

    /// Writes the `mode` record of a switch that just finished.
    public func write(_ result: SteeringResult, from: ObservedMode) throws(SteerError) {
        try writer.write(.mode(result.record(t: t, from: from)))
    }

    /// Writes any other record as it is (run marks, notes: their `t` already in the
    /// recording's time, from `t`).
    public func write(_ record: Record) throws(SteerError) { try writer.write(record) }

    public func close() { writer.close() }
}

/// When the next tick is due: every `interval` seconds on CLOCK_MONOTONIC; a tick that
/// comes late (the machine was stalled) moves the schedule on rather than bursting to
/// catch up.
public struct TickSchedule: Sendable {
    public private(set) var interval: Double
    /// CLOCK_MONOTONIC of the next tick.
    public private(set) var next: Double

    /// The first tick one interval after `start` (default: now).
    public init(interval: Double, start: Double = LibC.monotonic()) {
        self.interval = interval
        next = start + interval
    }

    /// Seconds until the next tick (0 when due).
    public func wait(now: Double = LibC.monotonic()) -> Double { max(0, next - now) }

    public func isDue(now: Double = LibC.monotonic()) -> Bool { now >= next }

    /// After a tick: the next one an interval later, or an interval from now when behind.
    public mutating func ticked(now: Double = LibC.monotonic()) {
        next += interval
        if next < now { next = now + interval }
    }

    /// Starts again from `now` with `interval`: the first tick one interval later.
    public mutating func restart(interval: Double? = nil, now: Double = LibC.monotonic()) {
        if let interval { self.interval = interval }
        next = now + self.interval
    }

    /// Makes the next tick due now (to show something at once).
    public mutating func dueNow(_ now: Double = LibC.monotonic()) { next = now }

    /// Sleeps until the next tick is due, then moves the schedule on.
    public mutating func sleepUntilDue() {
        LibC.sleep(wait())
        ticked()
    }
}
