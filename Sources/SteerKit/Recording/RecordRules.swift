#if canImport(Glibc)
import Glibc
#endif

/// What a valid recording line is, written once for both readers: replay's
/// (`RecordCodec.decode`) and the statistics' (`LineFields` in Statistics/RunExtractor.swift).
/// Both read every value through `number`/`require` below and skip the keys they do not
/// build with `skip(_:as:)`, so the same line gets the same verdict on both paths, with
/// the same reason, its key and (from the reader) its line number.
///
/// The rules (docs/recording-format.md):
/// - every record but the header has `t`, within ±1e9 s of the header's `started`;
/// - `run` has `event` (start or end), `run`, `mode` and `replicas` (1 to 65536);
///   `stream_end` has `id` and `bps`;
/// - CPU ids are integers 0 to 65535; percentages, rates (bit/s, pps,
///   per second), byte counts and flow counts are not negative; a number beyond a Double
///   (1e400) is refused wherever it stands (JSONScanner);
/// - every key of the schema holds the JSON type the encoder writes (null where it writes
///   null for a value it could not measure); keys the schema does not know are skipped.
public enum RecordRules {
    /// The furthest `t` from the header's `started`: about 31 years.
    public static let timeLimit = 1e9
    /// CPU ids (the kernel's NR_CPUS is at most 8192).
    public static let cpuIDs = 0..<65536
    /// Streams of a run.
    public static let replicas = 1...65536
    /// Run numbers, queue indices and flow counts.
    public static let counts = 0...(1 << 40)

    /// What a number stands for, and so the range it must lie in.
    public enum Number: Sendable {
        case time, percent, rate, count, cpuID, replicas
        /// A share from 0 to 1 (a flow's locality).
        case fraction
    }

    /// The JSON type (and for numbers, the range) of a key's value. Plain values, no
    /// boxes: a table is looked up for every key stats skips, hundreds of MB of them.
    enum Value: Sendable {
        case number(Number, nullable: Bool)
        case string(nullable: Bool)
        case bool
        /// An array of numbers, each may be null.
        case numbers(Number)
        case strings
        /// An array of objects of a table.
        case objects(TableID)
    }

    /// The tables of the objects inside records.
    enum TableID: Sendable { case cpu, softnet, queue, interface, stream, write, stage, flow }

    /// The keys of one kind of object and their values.
    struct Table: @unchecked Sendable {
        /// Allocated once per table and never freed (the tables are static): looked up
        /// without reference counting.
        let fields: UnsafeBufferPointer<(name: StaticString, value: Value)>
        /// Each key as the writer writes it after another member: `,"name":` (the first
        /// member's is the same without its comma).
        let templates: UnsafeBufferPointer<(start: UnsafePointer<UInt8>, count: Int)>

        init(fields: [(name: StaticString, value: Value)]) {
            let p = UnsafeMutableBufferPointer<(name: StaticString, value: Value)>.allocate(capacity: fields.count)
            _ = p.initialize(from: fields)
            self.fields = UnsafeBufferPointer(p)
            let t = UnsafeMutableBufferPointer<(start: UnsafePointer<UInt8>, count: Int)>.allocate(capacity: fields.count)
            for (k, f) in fields.enumerated() {
                let bytes: [UInt8] = [0x2c, 0x22] + Array(UnsafeBufferPointer(start: f.name.utf8Start, count: f.name.utf8CodeUnitCount)) + [0x22, 0x3a]
                let b = UnsafeMutablePointer<UInt8>.allocate(capacity: bytes.count)
                b.initialize(from: bytes, count: bytes.count)
                t[k] = (UnsafePointer(b), bytes.count)
            }
            templates = UnsafeBufferPointer(t)
        }

        /// The value `key` must hold; nil for a key the schema does not know.
        @inline(__always)
        func value(of key: JSONKey) -> Value? {
            for f in fields where key == f.name { return f.value }
            return nil
        }

        /// Where a reader stands in one object of this table.
        struct Cursor {
            var first = true
            /// The field the writer writes next.
            var expected = 0
        }

        /// The next member's field: its index in `fields`, -1 for a key the schema does
        /// not know, nil after the closing '}'. The scanner is then at the member's value.
        ///
        /// steertop writes the keys in the table's order without spaces, so the next key is
        /// first matched as bytes (`,"rx_bps":`) at the cursor; anything else (another
        /// order, spaces, escapes, an unknown key) takes the general path: `nextKey`, then
        /// a search of the table.
        @inline(__always)
        func next(_ s: inout JSONScanner, _ c: inout Cursor) throws(JSONError) -> Int? {
            let k = c.expected
            if k < templates.count, let base = s.bytes.baseAddress {
                let t = templates[k]
                let skip = c.first ? 1 : 0
                let n = t.count - skip
                if s.index + n <= s.bytes.count, memcmp(base + s.index, t.start + skip, n) == 0 {
                    s.keyStart = s.index + 2 - skip
                    s.keyEnd = s.index + n - 2
                    s.keyEscaped = false
                    s.index += n
                    c.first = false
                    c.expected = k + 1
                    return k
                }
            }
            guard let key = try s.nextKey(&c.first) else { return nil }
            for j in fields.indices where key == fields[j].name {
                c.expected = j + 1
                return j
            }
            return -1
        }
    }

    static func table(_ id: TableID) -> Table {
        switch id {
        case .cpu: return cpuEntry
        case .softnet: return softnetEntry
        case .queue: return queueEntry
        case .interface: return interfaceEntry
        case .stream: return streamEntry
        case .write: return writeEntry
        case .stage: return stageEntry
        case .flow: return flowEntry
        }
    }

    // MARK: numbers

    /// Reads a number (or null when `nullable`) and checks it is within the range of `kind`.
    @inline(__always)
    public static func number(_ s: inout JSONScanner, _ kind: Number, nullable: Bool = false) throws(JSONError) -> Double? {
        if nullable && s.consumeNull() { return nil }
        if !nullable && s.peek() == 0x6e { throw nullError(s) }
        let start = s.index
        let v = try s.double()
        if !inRange(v, kind) { throw rangeError(v, kind, s, at: start) }
        return v
    }

    /// A number that must be there (not null).
    @inline(__always)
    public static func value(_ s: inout JSONScanner, _ kind: Number) throws(JSONError) -> Double {
        try number(&s, kind)!
    }

    /// An integer count, CPU id or replicas, not null.
    @inline(__always)
    public static func int(_ s: inout JSONScanner, _ kind: Number) throws(JSONError) -> Int {
        Int(try number(&s, kind)!)
    }

    /// Whether `v` lies within the range of `kind`.
    @inline(__always)
    public static func inRange(_ v: Double, _ kind: Number) -> Bool {
        switch kind {
        case .time: return abs(v) <= timeLimit
        // Not above 100 either, in a recording steertop wrote; but a figure above it (a
        // tool that sums cores) is kept, to be seen, rather than hidden.
        case .percent, .rate: return v >= 0
        case .count: return v >= Double(counts.lowerBound) && v <= Double(counts.upperBound) && v == Double(Int64(v))
        case .cpuID: return v >= 0 && v < Double(cpuIDs.upperBound) && v == Double(Int64(v))
        case .replicas: return v >= Double(replicas.lowerBound) && v <= Double(replicas.upperBound) && v == Double(Int64(v))
        case .fraction: return v >= 0 && v <= 1
        }
    }

    @inline(never)
    static func rangeError(_ v: Double, _ kind: Number, _ s: JSONScanner, at offset: Int) -> JSONError {
        let key = s.lastKey
        switch kind {
        case .time:
            return problem(s, "t \(v) out of range (more than \(Int(timeLimit)) s from the start)", category: "t out of range", at: offset)
        case .percent, .rate:
            return problem(s, "negative \(key ?? "value") (\(v))", category: "negative \(key ?? "values")", at: offset)
        case .count:
            return problem(s, "\(key ?? "count") \(v) is not a count (an integer from 0 to 2^40)", category: "bad \(key ?? "counts")", at: offset)
        case .cpuID:
            return problem(s, "CPU id \(v) out of range (0 to \(cpuIDs.upperBound - 1))", category: "CPU ids out of range", at: offset)
        case .replicas:
            return problem(s, "replicas \(v) out of range (\(replicas.lowerBound) to \(replicas.upperBound))", category: "replicas out of range", at: offset)
        case .fraction:
            return problem(s, "\(key ?? "share") \(v) out of range (0 to 1)", category: "\(key ?? "shares") out of range", at: offset)
        }
    }

    @inline(never)
    static func nullError(_ s: JSONScanner) -> JSONError {
        problem(s, "\(s.lastKey ?? "value") is null", category: "null \(s.lastKey ?? "values")")
    }

    @inline(never)
    static func problem(_ s: JSONScanner, _ reason: String, category: String, at offset: Int? = nil) -> JSONError {
        var e = s.fail(reason, at: offset ?? s.index)
        e.category = category
        return e
    }

    // MARK: required keys

    /// The keys a record of each type must have, as bits of `seen`.
    public struct Keys: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let t = Keys(rawValue: 1)
        public static let event = Keys(rawValue: 2)
        public static let run = Keys(rawValue: 4)
        public static let mode = Keys(rawValue: 8)
        public static let replicas = Keys(rawValue: 16)
        public static let id = Keys(rawValue: 32)
        public static let bps = Keys(rawValue: 64)

        var names: [String] {
            var out: [String] = []
            for (bit, name) in [(Keys.t, "t"), (.event, "event"), (.run, "run"), (.mode, "mode"), (.replicas, "replicas"),
                                (.id, "id"), (.bps, "bps")] where contains(bit) { out.append(name) }
            return out
        }
    }

    /// The required keys of a record type ("sample", "run", ...); none for the header and
    /// for types this version does not know.
    public static func required(_ type: RecordKind) -> Keys {
        switch type {
        case .sample, .mode, .note: return .t
        case .run: return [.t, .event, .run, .mode, .replicas]
        case .streamEnd: return [.t, .id, .bps]
        case .header, .other: return []
        }
    }

    /// Throws when `seen` lacks a key `type` requires: "run record without replicas".
    @inline(__always)
    public static func require(_ type: RecordKind, seen: Keys) throws(JSONError) {
        let missing = required(type).subtracting(seen)
        guard !missing.isEmpty else { return }
        let names = missing.names.map { "\"\($0)\"" }.joined(separator: ", ")
        throw JSONError(offset: 0, reason: "\(type.singular) without \(names)", key: missing.names.first,
                        category: "without \(missing.names.joined(separator: ", "))", record: type.singular)
    }

    // MARK: skipping what a reader does not build

    /// Skips the value at the cursor, checking it holds `value`'s type and range.
    static func skip(_ s: inout JSONScanner, as value: Value) throws(JSONError) {
        if case .objects(let id) = value { try skipObjects(&s, table(id)) } else { try skipFlat(&s, value) }
    }

    /// A value that holds no objects.
    @inline(__always)
    static func skipFlat(_ s: inout JSONScanner, _ value: Value) throws(JSONError) {
        switch value {
        case .number(let kind, let nullable):
            _ = try number(&s, kind, nullable: nullable)
        case .string(let nullable):
            if nullable && s.consumeNull() { return }
            _ = try s.stringKey()
        case .bool:
            _ = try s.bool()
        case .numbers(let kind):
            try s.beginArray()
            var first = true
            while try s.nextElement(&first) { _ = try number(&s, kind, nullable: true) }
        case .strings:
            try s.beginArray()
            var first = true
            while try s.nextElement(&first) { _ = try s.stringKey() }
        case .objects(let id):
            try skipObjects(&s, table(id))
        }
    }

    /// An array of objects of `table`, each key checked (unknown keys skipped).
    static func skipObjects(_ s: inout JSONScanner, _ table: Table) throws(JSONError) {
        try s.beginArray()
        var first = true
        while try s.nextElement(&first) {
            try s.beginObject()
            var c = Table.Cursor()
            while let k = try table.next(&s, &c) {
                guard k >= 0 else {
                    try s.skipValue()
                    continue
                }
                let v = table.fields[k].value
                if case .objects(let id) = v { try skipObjects(&s, Self.table(id)) } else { try skipFlat(&s, v) }
            }
        }
    }

    /// Skips the value of `key` in a record of `table`: checked when the schema knows the
    /// key, skipped as any JSON otherwise (a newer version's field).
    @inline(__always)
    static func skip(_ s: inout JSONScanner, key: JSONKey, in table: Table) throws(JSONError) {
        if let v = table.value(of: key) { try skip(&s, as: v) } else { try s.skipValue() }
    }


    // MARK: the schema's tables

    typealias S = RecordSchema.Sample

    static let cpuEntry = Table(fields: [
        (S.CPU.cpu, .number(.cpuID, nullable: false)),
        (S.CPU.usr, .number(.percent, nullable: true)), (S.CPU.nice, .number(.percent, nullable: true)),
        (S.CPU.sys, .number(.percent, nullable: true)), (S.CPU.iowait, .number(.percent, nullable: true)),
        (S.CPU.irq, .number(.percent, nullable: true)), (S.CPU.soft, .number(.percent, nullable: true)),
        (S.CPU.steal, .number(.percent, nullable: true)), (S.CPU.guest, .number(.percent, nullable: true)),
        (S.CPU.gnice, .number(.percent, nullable: true)), (S.CPU.idle, .number(.percent, nullable: true)),
    ])
    static let softnetEntry = Table(fields: [
        (S.Softnet.cpu, .number(.cpuID, nullable: false)),
        (S.Softnet.processed, .number(.rate, nullable: true)), (S.Softnet.dropped, .number(.rate, nullable: true)),
        (S.Softnet.timeSqueeze, .number(.rate, nullable: true)), (S.Softnet.receivedRPS, .number(.rate, nullable: true)),
        (S.Softnet.flowLimit, .number(.rate, nullable: true)),
    ])
    static let queueEntry = Table(fields: [
        (S.Queue.queue, .number(.count, nullable: false)),
        (S.Queue.rpsCPUs, .string(nullable: true)),
        (S.Queue.rpsFlowCount, .number(.count, nullable: true)),
    ])
    static let interfaceEntry = Table(fields: [
        (S.Interface.name, .string(nullable: false)), (S.Interface.netns, .string(nullable: false)),
        (S.Interface.rxBps, .number(.rate, nullable: true)), (S.Interface.txBps, .number(.rate, nullable: true)),
        (S.Interface.rxPps, .number(.rate, nullable: true)), (S.Interface.txPps, .number(.rate, nullable: true)),
        (S.Interface.queues, .objects(.queue)),
    ])
    static let streamEntry = Table(fields: [
        (S.Stream.id, .string(nullable: false)),
        (S.Stream.bps, .number(.rate, nullable: true)),
        (S.Stream.state, .string(nullable: true)),
    ])
    static let stageEntry = Table(fields: [
        (S.Stage.netns, .string(nullable: false)), (S.Stage.device, .string(nullable: false)),
        (S.Stage.pps, .numbers(.rate)),
    ])
    static let flowEntry = Table(fields: [
        (S.Flow.netns, .string(nullable: false)), (S.Flow.local, .string(nullable: false)),
        (S.Flow.remote, .string(nullable: false)), (S.Flow.segments, .numbers(.rate)),
        (S.Flow.bps, .number(.rate, nullable: true)), (S.Flow.readerCPU, .number(.cpuID, nullable: true)),
        (S.Flow.reader, .string(nullable: true)), (S.Flow.locality, .number(.fraction, nullable: true)),
        (S.Flow.stream, .string(nullable: true)),
    ])
    /// The sample's keys.
    static let sample = Table(fields: [
        (RecordSchema.t, .number(.time, nullable: false)),
        (S.mode, .string(nullable: false)),
        (S.cpu, .objects(.cpu)),
        (S.netRX, .numbers(.rate)), (S.netTX, .numbers(.rate)),
        (S.softnet, .objects(.softnet)),
        (S.ifaces, .objects(.interface)),
        (S.sockFlowEntries, .number(.count, nullable: true)),
        (S.streams, .objects(.stream)),
        (S.totalBps, .number(.rate, nullable: true)),
        (S.missing, .strings),
        (S.stages, .objects(.stage)), (S.flows, .objects(.flow)),
        (S.stagesLeftOut, .number(.count, nullable: true)), (S.flowsLeftOut, .number(.count, nullable: true)),
        (S.traceOff, .string(nullable: true)),
    ])
    typealias M = RecordSchema.ModeChange
    static let writeEntry = Table(fields: [
        (M.Write.netns, .string(nullable: false)), (M.Write.path, .string(nullable: false)),
        (M.Write.before, .string(nullable: false)), (M.Write.after, .string(nullable: false)),
    ])
    /// The mode record's keys.
    static let mode = Table(fields: [
        (RecordSchema.t, .number(.time, nullable: false)),
        (M.from, .string(nullable: false)), (M.to, .string(nullable: false)), (M.ok, .bool),
        (M.writes, .objects(.write)), (M.errors, .strings),
    ])
    typealias R = RecordSchema.Run
    /// The run record's keys (`event` is checked by its readers: start or end).
    static let run = Table(fields: [
        (RecordSchema.t, .number(.time, nullable: false)),
        (R.event, .string(nullable: false)),
        (R.run, .number(.count, nullable: false)), (R.mode, .string(nullable: false)),
        (R.replicas, .number(.replicas, nullable: false)), (R.complete, .bool),
    ])
    typealias E = RecordSchema.StreamEnd
    /// The stream_end record's keys.
    static let streamEnd = Table(fields: [
        (RecordSchema.t, .number(.time, nullable: false)),
        (E.id, .string(nullable: false)), (E.bps, .number(.rate, nullable: false)),
        (E.bytes, .number(.rate, nullable: true)), (E.seconds, .number(.rate, nullable: true)),
    ])
    /// The note's keys.
    static let note = Table(fields: [
        (RecordSchema.t, .number(.time, nullable: false)),
        (RecordSchema.Note.text, .string(nullable: false)),
    ])
}

extension JSONError {
    /// The error of a line read as `kind`: a rule's error says which record type broke it.
    @inline(never)
    func inRecord(_ kind: RecordKind) -> JSONError {
        guard category != nil, record == nil else { return self }
        var e = self
        e.record = kind.singular
        return e
    }
}

extension RecordRules {
    /// A run record's `event`: start or end.
    @inline(__always)
    static func event(_ s: inout JSONScanner) throws(JSONError) -> RunMark.Event {
        let v = try s.stringKey()
        if v == "start" { return .start }
        if v == "end" { return .end }
        var e = s.fail("run event must be start or end, not \"\(v.string)\"")
        e.category = "an event other than start or end"
        throw e
    }
}

/// The record types, as both readers tell them apart.
public enum RecordKind: Sendable, Equatable {
    case header, sample, mode, run, streamEnd, note, other

    /// The kind named by a `"type"` value (escapes honoured).
    @inline(__always)
    init(_ v: JSONKey) {
        typealias Ty = RecordSchema.RecordType
        if v == Ty.sample { self = .sample }
        else if v == Ty.run { self = .run }
        else if v == Ty.streamEnd { self = .streamEnd }
        else if v == Ty.mode { self = .mode }
        else if v == Ty.header { self = .header }
        else if v == Ty.note { self = .note }
        else { self = .other }
    }

    var singular: String {
        switch self {
        case .header: return "header"
        case .sample: return "sample"
        case .mode: return "mode record"
        case .run: return "run record"
        case .streamEnd: return "stream_end record"
        case .note: return "note"
        case .other: return "record"
        }
    }

    var plural: String {
        switch self {
        case .header: return "headers"
        case .sample: return "samples"
        case .mode: return "mode records"
        case .run: return "run records"
        case .streamEnd: return "stream_end records"
        case .note: return "notes"
        case .other: return "records"
        }
    }
}

/// What a reader skipped and why, for the one-line summary both commands print:
/// "skipped 48 lines: 40 malformed JSON (first at line 12), 8 samples with negative bps
/// (first at line 90)". Keeps the first few problems whole, for the detail.
public struct SkipTally: Sendable, Equatable {
    public struct Reason: Sendable, Equatable {
        public var one: String
        public var many: String
        public var count: Int
        public var firstLine: Int
        public init(one: String, many: String, count: Int, firstLine: Int) {
            self.one = one; self.many = many; self.count = count; self.firstLine = firstLine
        }
    }

    public private(set) var reasons: [Reason] = []
    public private(set) var lines = 0
    /// The first `kept` problems, whole.
    public private(set) var problems: [RecordingProblem] = []
    public var kept: Int

    public init(kept: Int = 20) { self.kept = kept }

    /// The reason given for a last line without its newline that could not be read.
    public static let cutOff = (one: "last line cut off (the recorder stopped mid-write?)", many: "last line cut off")

    /// Counts line `line` of `path` as skipped for `error`.
    public mutating func add(_ error: JSONError, path: String, line: Int) {
        let what: (one: String, many: String)
        switch (error.record, error.category) {
        case (let r?, let c?):
            let tail = c.hasPrefix("without") || c.hasPrefix("with ") ? c : "with \(c)"
            what = ("\(r) \(tail)", "\(r)s \(tail)")
        case (nil, let c?):
            let tail = c.hasPrefix("without") || c.hasPrefix("with ") ? c : "with \(c)"
            what = ("line \(tail)", "lines \(tail)")
        default: what = ("malformed JSON", "malformed JSON")
        }
        add(what, line: line)
        if problems.count < kept { problems.append(RecordingProblem(path: path, line: line, reason: error.description)) }
    }

    /// Counts line `line` as skipped for a reason said in words, for one line and for
    /// several ("line cut off at the end", "lines cut off ...").
    public mutating func add(_ what: (one: String, many: String), line: Int) {
        lines += 1
        if let k = reasons.firstIndex(where: { $0.one == what.one }) { reasons[k].count += 1 } else {
            reasons.append(Reason(one: what.one, many: what.many, count: 1, firstLine: line))
        }
    }

    public var isEmpty: Bool { lines == 0 }

    /// A tally rebuilt from its reasons (an index's cache keeps them, not the problems).
    public init(reasons: [Reason], kept: Int = 20) {
        self.kept = kept
        self.reasons = reasons
        lines = reasons.reduce(0) { $0 + $1.count }
    }

    /// Adds `other`'s counts, its line numbers moved on by `lineOffset` (the second half of
    /// a file indexed in two).
    public mutating func add(_ other: SkipTally, lineOffset: Int) {
        for r in other.reasons {
            for _ in 0..<r.count { add((r.one, r.many), line: r.firstLine + lineOffset) }
        }
        for p in other.problems where problems.count < kept {
            problems.append(RecordingProblem(path: p.path, line: p.line + lineOffset, reason: p.reason))
        }
    }

    /// "skipped 48 lines: 40 malformed JSON (first at line 12), 8 samples with negative
    /// bps (first at line 90)"; nil when nothing was skipped.
    public var summary: String? {
        guard lines > 0 else { return nil }
        let parts = reasons.map { r in "\(r.count) \(r.count == 1 ? r.one : r.many) (\(r.count == 1 ? "line" : "first at line") \(r.firstLine))" }
        return "skipped \(lines) line\(lines == 1 ? "" : "s"): " + parts.joined(separator: ", ")
    }
}
