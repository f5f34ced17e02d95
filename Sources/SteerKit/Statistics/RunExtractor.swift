/// The five steering modes of the paper, in the order its figures show them.
public enum StatsModes {
    public static let order = Mode.allCases.map(\.rawValue)

    /// Where `mode` sorts: the paper's five first, in their order; any other after them.
    public static func rank(_ mode: String) -> Int { order.firstIndex(of: mode) ?? order.count }

    /// Orders mode names: the five in the paper's order, then others alphabetically.
    public static func sorted(_ modes: some Sequence<String>) -> [String] {
        Array(Set(modes)).sorted { a, b in
            let ra = rank(a), rb = rank(b)
            return ra != rb ? ra < rb : a < b
        }
    }
}

/// How runs are cut out of recordings.
public struct StatsOptions: Equatable, Sendable {
    /// Seconds skipped at the start of each stretch of one mode, in recordings without
    /// run records. Run records are taken as they are: the sweep's span exactly the ticks
    /// while the clients send (as the paper's mpstat covered its 30 s iperf3 runs).
    public var warmup: Double
    /// How long after a run's end its `stream_end` records may still be stamped: iperf3
    /// reports its receiver figure when the stream closes, which is at or just after the
    /// run's end; a record stamped inside a later run belongs to that run instead.
    public var streamEndGrace: Double
    /// At most this many malformed lines are kept per file (all are counted).
    public var problemsKept: Int

    public init(warmup: Double = 5, streamEndGrace: Double = 10, problemsKept: Int = 20) {
        self.warmup = warmup; self.streamEndGrace = streamEndGrace; self.problemsKept = problemsKept
    }
}

/// One measured run, reduced to what the statistics need.
public struct RunSummary: Equatable, Sendable {
    /// Where a run's bounds came from.
    public enum Source: String, Sendable {
        /// A `run` start record and its matching end.
        case runRecords = "run"
        /// A stretch of samples of one mode in a recording without run records.
        case stretch
    }

    public var path: String
    public var source: Source
    public var mode: String
    /// From the run record; for a stretch, the distinct stream ids seen (0 = no stream).
    public var replicas: Int
    /// The run's start and end (for a stretch: its start and its last kept sample).
    public var start: Double
    public var end: Double
    /// The CPU count of the recording's header.
    public var cpus: Int
    /// Average bitrate per stream in bit/s: the mean of the streams' receiver figures
    /// (`stream_end`), or, without any, the mean `total_bps` of the samples divided by the
    /// replicas. nil when the run has neither.
    public var bitrate: Double?
    /// How many `stream_end` figures `bitrate` is the mean of (0: it came from the samples).
    public var streamEnds: Int
    /// Samples inside the run (after the warm-up, for a stretch).
    public var samples: Int
    /// Mean %idle and %soft per CPU over the run's samples, indexed by CPU number (nil for
    /// a CPU no sample reported).
    public var idle: [Double?]
    public var soft: [Double?]
    /// Locality over the run's traced samples: the share of its flows' TCP segments
    /// processed on their reader's CPU (flows with a reader, weighted by segments); nil
    /// when the recording has no flows.
    public var locality: Double? = nil
}

/// What the statistics take from one recording: its runs, and what was wrong with it.
/// Two recordings concatenated in one file are two of these (a second header starts a
/// new recording: runs never cross it).
public struct RecordingRuns: Sendable {
    /// The file, and for a later recording in it, which one: "a.jsonl (recording 2, from line 501)".
    public var path: String
    /// The file's path as given.
    public var file: String
    /// 1 for the file's first recording, 2 for the one after its second header, ...
    public var part = 1
    /// The line of this recording's header.
    public var headerLine = 1
    /// The header's CPU count.
    public var cpus: Int
    public var runs: [RunSummary] = []
    /// True when the file has run records (then only they make runs); false when its runs
    /// are stretches of one mode.
    public var usedRunRecords = false
    /// The lines skipped and why (malformed JSON, values out of range, keys missing, the
    /// cut-off last line), with the first `StatsOptions.problemsKept` of them whole.
    public var skipped: SkipTally
    /// The first malformed lines, whole.
    public var problems: [RecordingProblem] { skipped.problems }
    /// Every malformed line, counted (each was skipped; the cut-off last line apart).
    public var malformedLines: Int { skipped.lines - (truncatedLastLine ? 1 : 0) }
    /// The last line had no newline and could not be read (a crash mid-write): ignored.
    public var truncatedLastLine = false
    /// Runs whose end said complete=false.
    public var incompleteRuns = 0
    /// Runs that started but never ended (the file stops, or another run starts first).
    public var unendedRuns = 0
    /// End records without a matching start.
    public var strayEnds = 0
    /// `stream_end` records in no run (nor within the grace after one).
    public var unattributedStreamEnds = 0
    /// Stretches of a known mode that lay entirely within the warm-up.
    public var shortStretches = 0
    /// Samples of a mode other than the paper's five (custom, unknown): in no stretch.
    public var otherModeSamples = 0

    public init(path: String, cpus: Int, problemsKept: Int = 20) {
        self.path = path; file = path; self.cpus = cpus; skipped = SkipTally(kept: problemsKept)
    }
}

/// Cuts recordings into runs. Reads each line once with `JSONScanner`, taking only the
/// keys the statistics use (type, t, mode, cpu[].cpu/idle/soft, total_bps, stream ids,
/// the run fields and the stream_end fields) and skipping the rest unbuilt.
///
/// Runs come from `run` records when a file has any: the samples and `stream_end`
/// records between a start and the end of the same run (same number, mode and replicas);
/// runs that end with complete=false or never end are left out. A `stream_end` belongs to
/// the open run when stamped at or after its start, else to the run that ended last when
/// stamped inside it or at most `streamEndGrace` seconds after its end.
///
/// A file without run records is cut into stretches of one mode: consecutive samples of
/// the same known mode, broken by a `mode` record or by a change of the samples' mode. A
/// stretch starts at its `mode` record's t or, without one, one interval (the header's
/// interval_s) before its first sample, since a sample covers the interval before its t.
/// A sample is kept when its interval begins at least `warmup` seconds after the start.
/// Stretches use the samples only: an iperf3 stream's final figure covers its whole life,
/// which in an interactive session rarely matches one mode's stretch.
public enum RunExtractor {
    /// Reads one file: its recording, or each of them when recordings were concatenated
    /// (a second header starts a new one). Throws when it cannot be opened, is empty, or
    /// does not start with a steertop header; lines that break RecordRules are counted,
    /// with their reasons, and skipped.
    public static func recordings(in path: String, options: StatsOptions = StatsOptions()) throws(SteerError) -> [RecordingRuns] {
        var done: [RecordingRuns] = []
        var scan: Scan?
        var fields = LineFields()
        try RecordingReader.forEachLine(path) { (number, line, terminated) throws(SteerError) in
            guard let current = scan else {
                scan = Scan(path: path, header: try header(path, number, line), options: options)
                return
            }
            do throws(JSONError) {
                try fields.read(line, streamIDs: current.collectsStreamIDs)
                if fields.type == .header, let h = fields.header {
                    // Recordings concatenated (cat a.jsonl b.jsonl): the second starts here.
                    done.append(current.finish())
                    let next = Scan(path: path, header: h, options: options)
                    next.result.part = done.count + 1
                    next.result.headerLine = number
                    next.result.path = "\(path) (recording \(done.count + 1), from line \(number))"
                    scan = next
                    return
                }
            } catch {
                if !terminated {
                    current.result.truncatedLastLine = true
                    current.result.skipped.add(SkipTally.cutOff, line: number)
                } else {
                    current.result.skipped.add(error, path: path, line: number)
                }
                return
            }
            current.take(fields, line: number)
        }
        guard let scan else { throw SteerError.invalid("\(path) is empty: no recording in it") }
        done.append(scan.finish())
        return done
    }

    /// The statistics' verdict on one line (nil: taken), for tests and the fuzz target
    /// that hold it to replay's (`RecordCodec.decode`).
    public static func verdict(_ line: UnsafeRawBufferPointer) -> JSONError? {
        var fields = LineFields()
        do throws(JSONError) { try fields.read(line, streamIDs: true) } catch { return error }
        return nil
    }

    static func header(_ path: String, _ number: Int, _ line: UnsafeRawBufferPointer) throws(SteerError) -> RecordingHeader {
        let record: Record
        do throws(JSONError) {
            record = try RecordCodec.decode(line)
        } catch {
            throw SteerError.invalid("\(path) is not a steertop recording: line \(number) is not a steertop header (\(error.reason))")
        }
        guard case .header(let h) = record else {
            throw SteerError.invalid("\(path) is not a steertop recording: its first line is not a header")
        }
        return h
    }
}

// MARK: - one line

/// The fields of one line that the statistics use; reused from line to line. The key
/// names come from RecordSchema and every value is checked by RecordRules, as in
/// RecordCodec: this is a second reader of the same declaration, kept because it builds
/// nothing it does not need (stats reads hundreds of MB); what it skips it still checks
/// (RecordRules.skip), so a line it takes is a line replay takes.
struct LineFields {
    typealias Ty = RecordSchema.RecordType
    typealias C = RecordSchema.Sample.CPU
    typealias S = RecordSchema.Sample
    /// Where %idle, %soft and the CPU id stand in RecordRules' table of a `cpu` entry.
    static let idleField = RecordRules.cpuEntry.fields.firstIndex { String(describing: $0.name) == "idle" }!
    static let softField = RecordRules.cpuEntry.fields.firstIndex { String(describing: $0.name) == "soft" }!
    static let cpuField = RecordRules.cpuEntry.fields.firstIndex { String(describing: $0.name) == "cpu" }!
    /// Where a flow's locality and segments stand in RecordRules' table of a `flows` entry.
    static let localityField = RecordRules.flowEntry.fields.firstIndex { String(describing: $0.name) == String(describing: S.Flow.locality) }!
    static let segmentsField = RecordRules.flowEntry.fields.firstIndex { String(describing: $0.name) == String(describing: S.Flow.segments) }!
    /// The five modes' names as bytes, in Mode.allCases order (compared without a String).
    static let modeNames: [[UInt8]] = Mode.allCases.map { Array($0.rawValue.utf8) }

    var type = RecordKind.other
    var seen: RecordRules.Keys = []
    /// A header's contents (a second recording starts).
    var header: RecordingHeader?
    var t = 0.0
    /// 0...4: one of StatsModes.order; -1: another mode (in `modeName`); -2: none.
    var modeIndex = -2
    var modeName = ""
    // sample
    var cpuIndex: [Int] = []
    var idle: [Double] = []
    var soft: [Double] = []
    var cpuEntries = 0
    var totalBps: Double?
    var streamIDs: [String] = []
    // run
    var event: RunMark.Event?
    var run = 0
    var replicas = 0
    var complete: Bool?
    // stream_end
    var id = ""
    var bps: Double?
    // sample: flows with a locality, weighted by their segments
    var localitySum = 0.0
    var localityWeight = 0.0

    init() {
        cpuIndex = Array(repeating: 0, count: 64)
        idle = Array(repeating: 0, count: 64)
        soft = Array(repeating: 0, count: 64)
    }

    /// Reads `line` into the fields. Any key order is accepted; `"type"` comes first in
    /// every line steertop writes, and when it does not, it is looked for first.
    mutating func read(_ line: UnsafeRawBufferPointer, streamIDs collectIDs: Bool) throws(JSONError) {
        seen = []
        header = nil
        t = 0
        modeIndex = -2
        cpuEntries = 0
        totalBps = nil
        streamIDs.removeAll(keepingCapacity: true)
        event = nil
        run = 0
        replicas = 0
        complete = nil
        bps = nil
        id = ""
        localitySum = 0
        localityWeight = 0
        var s = JSONScanner(line)
        try s.beginObject()
        var first = true
        if let key = try s.nextKey(&first), key == Ty.key, s.peek() == 0x22 {
            type = RecordKind(try s.stringKey())
        } else {
            // Rare: "type" further on. Find it, then read from the start.
            type = RecordKind(try RecordCodec.findTypeKey(line))
            s = JSONScanner(line)
            try s.beginObject()
            first = true
        }
        do throws(JSONError) {
            switch type {
            case .sample: try readSample(&s, &first, collectIDs: collectIDs)
            case .run: try readRun(&s, &first)
            case .streamEnd: try readStreamEnd(&s, &first)
            case .mode: try readT(&s, &first, RecordRules.mode)
            case .note: try readT(&s, &first, RecordRules.note)
            case .header:
                // Rare (recordings concatenated): read whole, by replay's decoder.
                var whole = JSONScanner(line)
                header = try RecordCodec.decodeHeader(&whole)
                s = whole
            case .other: while try s.nextKey(&first) != nil { try s.skipValue() }
            }
            guard s.atEnd() else { throw s.fail("unexpected text after the record") }
            try RecordRules.require(type, seen: seen)
        } catch {
            throw error.inRecord(type)
        }
    }

    mutating func readSample(_ s: inout JSONScanner, _ first: inout Bool, collectIDs: Bool) throws(JSONError) {
        while let key = try s.nextKey(&first) {
            if key == RecordSchema.t {
                t = try RecordRules.value(&s, .time)
                seen.insert(.t)
            } else if key == S.mode {
                let v = try s.stringKey()
                modeIndex = -1
                for (k, name) in Self.modeNames.enumerated() where v == name {
                    modeIndex = k
                    break
                }
                if modeIndex == -1 { modeName = v.string }
            } else if key == S.cpu {
                try readCPUs(&s)
            } else if key == S.flows {
                try readFlows(&s)
            } else if key == S.totalBps {
                totalBps = try RecordRules.number(&s, .rate, nullable: true)
            } else if key == S.streams && collectIDs {
                try s.beginArray()
                var f = true
                while try s.nextElement(&f) {
                    try s.beginObject()
                    var g = true
                    while let k = try s.nextKey(&g) {
                        if k == S.Stream.id { streamIDs.append(try s.string()) }
                        else { try RecordRules.skip(&s, key: k, in: RecordRules.streamEntry) }
                    }
                }
            } else {
                try RecordRules.skip(&s, key: key, in: RecordRules.sample)
            }
        }
    }

    mutating func readRun(_ s: inout JSONScanner, _ first: inout Bool) throws(JSONError) {
        typealias R = RecordSchema.Run
        while let key = try s.nextKey(&first) {
            if key == RecordSchema.t {
                t = try RecordRules.value(&s, .time)
                seen.insert(.t)
            } else if key == R.event {
                event = try RecordRules.event(&s)
                seen.insert(.event)
            } else if key == R.run {
                run = try RecordRules.int(&s, .count)
                seen.insert(.run)
            } else if key == R.mode {
                let v = try s.stringKey()
                modeIndex = -1
                for (k, name) in Self.modeNames.enumerated() where v == name {
                    modeIndex = k
                    break
                }
                if modeIndex == -1 { modeName = v.string }
                seen.insert(.mode)
            } else if key == R.replicas {
                replicas = try RecordRules.int(&s, .replicas)
                seen.insert(.replicas)
            } else if key == R.complete {
                complete = try s.bool()
            } else {
                try RecordRules.skip(&s, key: key, in: RecordRules.run)
            }
        }
    }

    mutating func readStreamEnd(_ s: inout JSONScanner, _ first: inout Bool) throws(JSONError) {
        typealias E = RecordSchema.StreamEnd
        while let key = try s.nextKey(&first) {
            if key == RecordSchema.t {
                t = try RecordRules.value(&s, .time)
                seen.insert(.t)
            } else if key == E.id {
                id = try s.string()
                seen.insert(.id)
            } else if key == E.bps {
                bps = try RecordRules.value(&s, .rate)
                seen.insert(.bps)
            } else {
                try RecordRules.skip(&s, key: key, in: RecordRules.streamEnd)
            }
        }
    }

    /// A record of which the statistics use only `t`.
    mutating func readT(_ s: inout JSONScanner, _ first: inout Bool, _ table: RecordRules.Table) throws(JSONError) {
        while let key = try s.nextKey(&first) {
            if key == RecordSchema.t {
                t = try RecordRules.value(&s, .time)
                seen.insert(.t)
            } else {
                try RecordRules.skip(&s, key: key, in: table)
            }
        }
    }

    /// The sample's `flows`: each flow's locality, weighted by its segments per second.
    mutating func readFlows(_ s: inout JSONScanner) throws(JSONError) {
        typealias F = RecordSchema.Sample.Flow
        try s.beginArray()
        var f = true
        let table = RecordRules.flowEntry
        let localityField = Self.localityField, segmentsField = Self.segmentsField
        while try s.nextElement(&f) {
            var locality: Double?, segments = 0.0
            try s.beginObject()
            var c = RecordRules.Table.Cursor()
            while let k = try table.next(&s, &c) {
                if k == localityField { locality = try RecordRules.number(&s, .fraction, nullable: true) }
                else if k == segmentsField {
                    try s.beginArray()
                    var h = true
                    while try s.nextElement(&h) { segments += try RecordRules.number(&s, .rate, nullable: true) ?? 0 }
                } else if k >= 0 { try RecordRules.skipFlat(&s, table.fields[k].value) }
                else { try s.skipValue() }
            }
            guard let locality, locality.isFinite, locality >= 0, locality <= 1, segments.isFinite, segments > 0 else { continue }
            localitySum += locality * segments
            localityWeight += segments
        }
    }

    /// The sample's `cpu` array: each CPU's number, %idle and %soft (NaN where null or
    /// absent; a CPU without a number takes its position).
    mutating func readCPUs(_ s: inout JSONScanner) throws(JSONError) {
        let cpuTable = RecordRules.cpuEntry
        let idleField = Self.idleField, softField = Self.softField, cpuField = Self.cpuField
        try s.beginArray()
        var f = true
        var position = 0
        while try s.nextElement(&f) {
            var cpu = position
            var i = Double.nan, so = Double.nan
            try s.beginObject()
            var c = RecordRules.Table.Cursor()
            while let k = try cpuTable.next(&s, &c) {
                if k == idleField { i = try RecordRules.number(&s, .percent, nullable: true) ?? .nan }
                else if k == softField { so = try RecordRules.number(&s, .percent, nullable: true) ?? .nan }
                else if k == cpuField { cpu = try RecordRules.int(&s, .cpuID) }
                else if k >= 0 { try RecordRules.skipFlat(&s, cpuTable.fields[k].value) }
                else { try s.skipValue() }
            }
            if cpuEntries == cpuIndex.count {
                cpuIndex.append(0); idle.append(0); soft.append(0)
            }
            cpuIndex[cpuEntries] = cpu
            idle[cpuEntries] = i
            soft[cpuEntries] = so
            cpuEntries += 1
            position += 1
        }
    }
}

// MARK: - one file

/// The sums of one run as its lines go by.
struct RunAccumulator {
    var mode: String
    var replicas: Int
    var run: Int
    var start: Double
    var end: Double
    var samples = 0
    var totalSum = 0.0
    var totalCount = 0
    var idleSum: [Double] = [], idleCount: [Int] = []
    var softSum: [Double] = [], softCount: [Int] = []
    /// Each stream's receiver figure (the last one where an id repeats).
    var streamBps: [String: Double] = [:]
    var streamIDs: Set<String> = []
    var localitySum = 0.0, localityWeight = 0.0

    init(mode: String, replicas: Int, run: Int, start: Double) {
        self.mode = mode; self.replicas = replicas; self.run = run; self.start = start; end = start
    }

    mutating func add(_ f: LineFields) {
        samples += 1
        end = f.t
        if let total = f.totalBps, total.isFinite {
            totalSum += total
            totalCount += 1
        }
        for k in 0..<f.cpuEntries {
            let c = f.cpuIndex[k]
            if c >= idleSum.count {
                let more = c + 1 - idleSum.count
                idleSum.append(contentsOf: repeatElement(0, count: more))
                idleCount.append(contentsOf: repeatElement(0, count: more))
                softSum.append(contentsOf: repeatElement(0, count: more))
                softCount.append(contentsOf: repeatElement(0, count: more))
            }
            let i = f.idle[k], s = f.soft[k]
            if !i.isNaN { idleSum[c] += i; idleCount[c] += 1 }
            if !s.isNaN { softSum[c] += s; softCount[c] += 1 }
        }
        for id in f.streamIDs { streamIDs.insert(id) }
        localitySum += f.localitySum
        localityWeight += f.localityWeight
    }

    func summary(path: String, source: RunSummary.Source, cpus: Int) -> RunSummary {
        var bitrate: Double?
        if !streamBps.isEmpty {
            var sum = 0.0
            for v in streamBps.values { sum += v }
            bitrate = sum / Double(streamBps.count)
        } else if totalCount > 0 {
            bitrate = totalSum / Double(totalCount) / Double(max(replicas, 1))
        }
        let idle = (0..<idleSum.count).map { idleCount[$0] > 0 ? idleSum[$0] / Double(idleCount[$0]) : nil }
        let soft = (0..<softSum.count).map { softCount[$0] > 0 ? softSum[$0] / Double(softCount[$0]) : nil }
        return RunSummary(path: path, source: source, mode: mode, replicas: replicas, start: start, end: end,
                          cpus: cpus, bitrate: bitrate, streamEnds: streamBps.count, samples: samples,
                          idle: idle, soft: soft, locality: localityWeight > 0 ? localitySum / localityWeight : nil)
    }
}

/// The state of one file's scan.
final class Scan {
    let options: StatsOptions
    let interval: Double
    var result: RecordingRuns

    // Run records.
    var open: RunAccumulator?
    /// The run that ended last, which may still take `stream_end` records; nil in
    /// `lastClosedRun` when it was incomplete (its records are dropped with it).
    var lastClosedRun: RunAccumulator?
    var lastClosedBounds: (start: Double, end: Double)?

    // Stretches (until the first run record).
    var stretch: RunAccumulator?
    var stretchMode = -2
    var pendingModeT: Double?
    var stretches: [RunSummary] = []

    var collectsStreamIDs: Bool { !result.usedRunRecords }

    init(path: String, header: RecordingHeader, options: StatsOptions) {
        self.options = options
        interval = header.intervalSeconds > 0 ? header.intervalSeconds : 1
        result = RecordingRuns(path: path, cpus: header.cpus, problemsKept: options.problemsKept)
    }

    func take(_ f: LineFields, line: Int) {
        switch f.type {
        case .sample:
            open?.add(f)
            if !result.usedRunRecords { stretchSample(f) }
        case .run:
            if !result.usedRunRecords {
                // The first run record: this file's runs are its run records only.
                result.usedRunRecords = true
                stretch = nil
                stretches = []
                result.shortStretches = 0
                result.otherModeSamples = 0
            }
            runRecord(f)
        case .streamEnd:
            streamEnd(f)
        case .mode:
            if !result.usedRunRecords {
                closeStretch()
                pendingModeT = f.t
            }
        case .header, .note, .other:
            break
        }
    }

    func runRecord(_ f: LineFields) {
        let mode = f.modeIndex >= 0 ? StatsModes.order[f.modeIndex] : (f.modeIndex == -1 ? f.modeName : "")
        if f.event == .start {
            if open != nil { result.unendedRuns += 1 }
            open = RunAccumulator(mode: mode, replicas: f.replicas, run: f.run, start: f.t)
            return
        }
        guard var run = open, run.run == f.run, run.mode == mode, run.replicas == f.replicas else {
            result.strayEnds += 1
            return
        }
        open = nil
        run.end = f.t
        if let previous = lastClosedRun { keep(previous) }
        lastClosedBounds = (run.start, f.t)
        if f.complete == false {
            result.incompleteRuns += 1
            lastClosedRun = nil
        } else {
            lastClosedRun = run
        }
    }

    func keep(_ run: RunAccumulator) {
        result.runs.append(run.summary(path: result.path, source: .runRecords, cpus: result.cpus))
    }

    func streamEnd(_ f: LineFields) {
        guard let bps = f.bps else { return }
        if open != nil, f.t >= open!.start {
            open!.streamBps[f.id] = bps
        } else if let (start, end) = lastClosedBounds, f.t >= start, f.t <= end + options.streamEndGrace {
            lastClosedRun?.streamBps[f.id] = bps
        } else {
            result.unattributedStreamEnds += 1
        }
    }

    func stretchSample(_ f: LineFields) {
        guard f.modeIndex >= 0 else {
            closeStretch()
            result.otherModeSamples += 1
            return
        }
        if stretch == nil || stretchMode != f.modeIndex {
            closeStretch()
            let start = pendingModeT ?? (f.t - interval)
            pendingModeT = nil
            stretchMode = f.modeIndex
            stretch = RunAccumulator(mode: StatsModes.order[f.modeIndex], replicas: 0, run: 0, start: start)
            stretchSeen = 0
        }
        stretchSeen += 1
        // Kept when the interval this sample covers begins after the warm-up.
        if f.t - interval >= stretch!.start + options.warmup - 1e-9 {
            stretch!.add(f)
        }
    }

    var stretchSeen = 0

    func closeStretch() {
        guard var s = stretch else { return }
        stretch = nil
        if s.samples == 0 {
            if stretchSeen > 0 { result.shortStretches += 1 }
            return
        }
        s.replicas = s.streamIDs.count
        stretches.append(s.summary(path: result.path, source: .stretch, cpus: result.cpus))
    }

    func finish() -> RecordingRuns {
        if result.usedRunRecords {
            if open != nil { result.unendedRuns += 1 }
            if let last = lastClosedRun { keep(last) }
        } else {
            closeStretch()
            result.runs = stretches
        }
        return result
    }
}
