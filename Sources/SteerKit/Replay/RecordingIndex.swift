#if canImport(Glibc)
import Glibc
#endif
import CSteerCompress
import Dispatch

/// Where each sample of one recording file is, built in one streaming pass: its time, its
/// offset and length in the decompressed stream and its mode; the mode changes and run
/// marks (few, kept decoded); the restart points of a compressed file. Replay seeks
/// through it and decodes only the samples it shows. Kept beside the recording in a
/// cache file (`RecordingIndexCache`) so that the next replay opens at once.
public struct RecordingIndex: Sendable {
    /// One sample: 24 bytes, so a day of 1 Hz samples is 2 MB of index.
    public struct Entry: Equatable, Sendable {
        public var t: Double
        /// Offset of the line in the decompressed stream.
        public var offset: Int64
        public var length: UInt32
        /// Into `modes`.
        public var mode: UInt16
        public init(t: Double, offset: Int64, length: UInt32, mode: UInt16) {
            self.t = t; self.offset = offset; self.length = length; self.mode = mode
        }
    }

    public var header: RecordingHeader
    /// The header's own line, as written (the cache keeps it and decodes it again).
    var headerLine: [UInt8]
    /// In file order (`sorted` says whether that is time order).
    public internal(set) var samples: [Entry] = []
    /// The modes samples show, each once; `Entry.mode` points in here.
    public internal(set) var modes: [ObservedMode] = []
    /// The `mode` and `run` records, in file order: found through the index and decoded
    /// when wanted (a sweep's mode records list every file written: kept decoded, a day of
    /// them would take more memory than the samples' index).
    public internal(set) var marks: [Mark] = []
    public internal(set) var compression: RecordingCompression = .none
    /// zstd frames or gzip members: where decompressing can start (one at 0 for plain).
    public internal(set) var restarts: [RestartPoint] = [.init(compressed: 0, decompressed: 0)]
    /// Lines skipped (a truncated last line not counted), by reason, as stats counts them
    /// (RecordRules: one definition of a valid line for both).
    public internal(set) var skips = SkipTally()
    /// The line of a second header: another recording starts there (concatenated files),
    /// and replay plays the first, as stats keeps their runs apart.
    public internal(set) var laterHeader: Int?
    public internal(set) var unknownTypes = 0
    /// The last line had no newline and could not be read (a recorder killed mid-write, or still writing).
    public internal(set) var truncatedTail = false
    /// The decompressed offset after the last whole line indexed, and the lines up to it:
    /// where following a growing file goes on.
    public internal(set) var committed: Int64 = 0
    public internal(set) var lines = 0
    /// Whether a sample carries tracing (stages, flows, or why there are none).
    public internal(set) var traced = false
    /// False when some sample is earlier than the one before it.
    public internal(set) var sorted = true
    /// The file as it was indexed.
    public internal(set) var file: FileIdentity

    /// Skipped lines and a truncated tail: what replay reports as skipped.
    public var skipped: Int { skips.lines + (truncatedTail ? 1 : 0) }

    /// "skipped 3 lines: ..." with the truncated tail, or nil.
    public var skipSummary: String? {
        var all = skips
        if truncatedTail { all.add(SkipTally.cutOff, line: lines + 1) }
        return all.summary
    }

    /// A `mode` or `run` record: where it is.
    public struct Mark: Equatable, Sendable {
        public enum Kind: UInt8, Sendable { case mode = 0, run = 1 }
        public var t: Double
        public var offset: Int64
        public var length: UInt32
        public var kind: Kind
        public init(t: Double, offset: Int64, length: UInt32, kind: Kind) {
            self.t = t; self.offset = offset; self.length = length; self.kind = kind
        }
    }

    /// Size, mtime and inode of a recording: a cache whose identity differs is stale.
    public struct FileIdentity: Equatable, Sendable {
        public var size: Int64
        public var modified: Double
        public var inode: UInt64
        public init(size: Int64, modified: Double, inode: UInt64) { self.size = size; self.modified = modified; self.inode = inode }
        public init(_ st: LibC.FileStatus) { self.init(size: st.size, modified: st.modified, inode: st.inode) }
    }

    init(header: RecordingHeader, headerLine: [UInt8], file: FileIdentity) {
        self.header = header
        self.headerLine = headerLine
        self.file = file
    }

    func modeNumber(_ mode: ObservedMode) -> UInt16 {
        if let i = modes.firstIndex(of: mode) { return UInt16(i) }
        return UInt16(modes.count)
    }

    /// Adds one decoded line (past the header) at `offset`.
    mutating func add(_ record: Record, line: UnsafeRawBufferPointer, offset: Int64) {
        switch record {
        case .sample(let s):
            var m = modeNumber(s.mode)
            if Int(m) == modes.count {
                guard modes.count < Int(UInt16.max) else { m = 0; break }
                modes.append(s.mode)
            }
            if let last = samples.last, s.t < last.t { sorted = false }
            if !traced && (!s.stages.isEmpty || !s.flows.isEmpty || s.traceOff != nil) { traced = true }
            samples.append(Entry(t: s.t, offset: offset, length: UInt32(line.count), mode: m))
        case .mode(let c):
            marks.append(Mark(t: c.t, offset: offset, length: UInt32(line.count), kind: .mode))
        case .run(let r):
            marks.append(Mark(t: r.t, offset: offset, length: UInt32(line.count), kind: .run))
        case .unknown:
            unknownTypes += 1
        default:
            break
        }
    }

    mutating func problem(_ error: JSONError, line: Int) {
        skips.add(error, path: "", line: line)
    }
}

/// Builds a `RecordingIndex` in one streaming pass and keeps it up to date while the
/// recording grows (a recorder still writing): `update` reads only what was added.
public final class RecordingIndexer {
    public let path: String
    public private(set) var index: RecordingIndex
    /// Nil for an index loaded from the cache, until the file grows.
    private var scanner: LineScanner?
    /// Samples taken from an unterminated tail: dropped before the next pass reads it again.
    private var provisional = 0

    /// Reads the whole of `path` (it must start with a steertop header).
    public convenience init(path: String) throws(SteerError) {
        try self.init(path: path, splitFrom: Self.splitBytes)
    }

    /// Indexes in two halves at once when the plain file has at least `splitFrom` bytes.
    init(path: String, splitFrom: Int64) throws(SteerError) {
        self.path = path
        let identity = try Self.identity(path)
        let scanner = try LineScanner(path: path)
        if scanner.compression != .gzip, identity.size >= splitFrom, LibC.onlineCPUCount() > 1,
           let split = scanner.compression == .none ? Self.lineStart(path, near: identity.size / 2)
                                                    : RecordingCompression.zstdFrameStart(scanner.fd, atOrAfter: identity.size / 2),
           split < identity.size,
           let (index, second) = try Self.inHalves(path, identity: identity, split: split, compression: scanner.compression) {
            self.index = index
            self.scanner = second
            finishPass(second)
            return
        }
        var index = try Self.scanFromHeader(scanner, path: path, file: identity)
        if index == nil {
            // No whole line: the unterminated tail may be the header (a recorder just started).
            try scanner.scan(final: true) { (line, _, number, _) throws(SteerError) in
                if index == nil { index = try Self.start(line, number: number, path: path, file: identity) }
            }
        }
        guard var index else { throw SteerError.invalid("\(path) is empty: no recording in it") }
        index.compression = scanner.compression
        self.index = index
        self.scanner = scanner
        finishPass(scanner)
    }

    /// A plain file at least this big is indexed in two halves at once (two cores).
    static let splitBytes: Int64 = 64 << 20

    /// The offset of the first line that starts after `offset`.
    static func lineStart(_ path: String, near offset: Int64) -> Int64? {
        guard case .success(let opened) = BoundedFile.openRegular(path) else { return nil }
        defer { LibC.close(opened.fd) }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var at = offset
        while true {
            let r = chunk.withUnsafeMutableBytes { LibC.pread(opened.fd, $0, offset: Int(at)) }
            guard case .success(let n) = r, n > 0 else { return nil }
            if let nl = chunk[0..<n].firstIndex(of: 0x0a) { return at + Int64(nl) + 1 }
            at += Int64(n)
        }
    }

    /// Indexes a file as two halves read at once, split at `split`: a line start of a
    /// plain file, or a zstd frame start (frames end after whole lines): the same index
    /// as one pass, in about half the time on two cores. Returns it and the second half's
    /// scanner (at the end of the file, for `update`); nil when the halves do not join
    /// (a frame that ends inside a line), for one pass to do instead.
    static func inHalves(_ path: String, identity: RecordingIndex.FileIdentity, split: Int64,
                         compression: RecordingCompression) throws(SteerError) -> (RecordingIndex, LineScanner)? {
        let plain = compression == .none
        final class Half: @unchecked Sendable {
            var index: RecordingIndex?
            var scanner: LineScanner?
            var error: SteerError?
        }
        let first = Half(), second = Half()
        DispatchQueue.concurrentPerform(iterations: 2) { k in
            do throws(SteerError) {
                if k == 0 {
                    let scanner = try LineScanner(path: path, limit: plain ? .max : split)
                    first.index = try scanFromHeader(scanner, stop: plain ? split : .max, path: path, file: identity)
                    first.scanner = scanner
                } else {
                    // A zstd half's decompressed offsets start at 0 until the first half's end is known.
                    let scanner = try LineScanner(path: path, start: RestartPoint(compressed: split, decompressed: plain ? split : 0))
                    // The header is the first half's: this one only gathers lines.
                    var index = RecordingIndex(header: RecordingHeader(started: "", host: "", kernel: "", cpus: 0, intervalSeconds: 1, toolVersion: "", argv: [],
                                                                       targets: RecordingTargets(node: "", ifaces: [], netns: [], podIfaces: [])),
                                               headerLine: [], file: identity)
                    try scanner.scan(final: false) { (line, offset, number, terminated) throws(SteerError) in
                        take(&index, line: line, offset: offset, number: number, terminated: terminated)
                    }
                    second.index = index
                    second.scanner = scanner
                }
            } catch {
                (k == 0 ? first : second).error = error
            }
        }
        if let e = first.error ?? second.error { throw e }
        guard var index = first.index, let a = first.scanner, let b = second.index, let scanner = second.scanner else {
            throw SteerError.invalid("\(path) is empty: no recording in it")
        }
        // The first half must end with a whole line; the second's offsets and line numbers
        // follow the first's; its modes join the first's table.
        guard a.committed == a.position else { return nil }
        let shift = plain ? 0 : a.position
        if shift != 0 { scanner.rebase(by: shift) }
        index.restarts = a.restartPoints
        let lines = a.lineNumber
        scanner.numberAfter(lines)
        let modeMap = b.modes.map { m -> UInt16 in
            if let i = index.modes.firstIndex(of: m) { return UInt16(i) }
            index.modes.append(m)
            return UInt16(index.modes.count - 1)
        }
        if let last = index.samples.last, let next = b.samples.first, next.t < last.t { index.sorted = false }
        index.sorted = index.sorted && b.sorted
        index.traced = index.traced || b.traced
        index.samples.reserveCapacity(index.samples.count + b.samples.count)
        for var e in b.samples {
            e.mode = modeMap[Int(e.mode)]
            e.offset += shift
            index.samples.append(e)
        }
        index.marks += b.marks.map { var m = $0; m.offset += shift; return m }
        index.skips.add(b.skips, lineOffset: lines)
        index.unknownTypes += b.unknownTypes
        index.compression = compression
        return (index, scanner)
    }

    /// An index read from the cache; `update` reads on from where it stopped.
    public init(path: String, loaded: RecordingIndex, provisional: Int) {
        self.path = path
        self.index = loaded
        self.provisional = provisional
    }

    /// Samples at the end that came from an unterminated line.
    public var provisionalCount: Int { provisional }

    static func identity(_ path: String) throws(SteerError) -> RecordingIndex.FileIdentity {
        switch LibC.stat(path) {
        case .success(let st): return .init(st)
        case .failure(let e): throw SteerError.open(path: path, errno: e)
        }
    }

    /// The index of the whole lines from the scanner's start (the header) up to `stop`;
    /// nil when there is no whole line.
    static func scanFromHeader(_ scanner: LineScanner, stop: Int64 = .max, path: String,
                               file: RecordingIndex.FileIdentity) throws(SteerError) -> RecordingIndex? {
        var index: RecordingIndex?
        try scanner.scan(final: false, stop: stop) { (line, offset, number, terminated) throws(SteerError) in
            if index != nil {
                take(&index!, line: line, offset: offset, number: number, terminated: terminated)
            } else {
                index = try start(line, number: number, path: path, file: file)
            }
        }
        return index
    }

    /// The index a recording starts with its header line; anything else is refused.
    static func start(_ line: UnsafeRawBufferPointer, number: Int, path: String,
                      file: RecordingIndex.FileIdentity) throws(SteerError) -> RecordingIndex {
        let record: Record
        do { record = try RecordCodec.decode(line) } catch {
            throw SteerError.invalid("\(path) is not a steertop recording (line \(number): \(error.reason))")
        }
        guard case .header(let h) = record else {
            throw SteerError.invalid("\(path) is not a steertop recording: its first line is not a header")
        }
        return RecordingIndex(header: h, headerLine: Array(line), file: file)
    }

    /// Decodes one line into the index: a sample, a mark, or a problem.
    static func take(_ index: inout RecordingIndex, line: UnsafeRawBufferPointer, offset: Int64, number: Int, terminated: Bool) {
        // Past a second header the lines are another recording's.
        guard index.laterHeader == nil else { return }
        do {
            let record = try RecordCodec.decode(line)
            if case .header = record {
                // The first line read again (a header that had no newline yet) is not a problem.
                if offset > 0 { index.laterHeader = number }
                return
            }
            index.add(record, line: line, offset: offset)
        } catch {
            if terminated { index.problem(error, line: number) } else { index.truncatedTail = true }
        }
    }

    /// After a pass: the unterminated tail, if any, is indexed when it reads as a record
    /// (as a whole-file reader would) and read again by the next `update`.
    private func finishPass(_ scanner: LineScanner) {
        index.committed = scanner.committed
        index.lines = scanner.lineNumber
        for point in scanner.restartPoints where point.decompressed > (index.restarts.last?.decompressed ?? -1) {
            index.restarts.append(point)
        }
        index.truncatedTail = false
        var tail = index
        try? scanner.scan(final: true) { (line, offset, number, terminated) throws(SteerError) in
            Self.take(&tail, line: line, offset: offset, number: number, terminated: terminated)
        }
        provisional = tail.samples.count - index.samples.count
        index = tail
    }

    public enum Change: Equatable, Sendable {
        case none
        /// New samples were indexed.
        case grew
        /// The file is shorter than what was indexed, or another file now has its name:
        /// the index was rebuilt from what is there now (the message says so in one line).
        case replaced(String)
    }

    /// Reads what was added to the file since the last pass.
    public func update() throws(SteerError) -> Change {
        let now = try Self.identity(path)
        let old = index.file
        if now == old { return .none }
        if now.inode != old.inode || now.size < old.size {
            let why = now.inode != old.inode ? "was replaced" : "shrank from \(old.size) to \(now.size) bytes"
            let fresh = try RecordingIndexer(path: path)
            index = fresh.index
            scanner = fresh.scanner
            provisional = fresh.provisional
            return .replaced("\(path) \(why) while replayed: going on with what it holds now")
        }
        let before = index.samples.count - provisional
        index.samples.removeLast(provisional)
        provisional = 0
        let scanner: LineScanner
        if let s = self.scanner { scanner = s } else {
            // Loaded from the cache: from the restart point at or before the committed offset.
            let start = index.compression == .none
                ? RestartPoint(compressed: index.committed, decompressed: index.committed)
                : index.restarts.last { $0.decompressed <= index.committed } ?? .init(compressed: 0, decompressed: 0)
            scanner = try LineScanner(path: path, start: start)
            try scanner.skip(to: index.committed, lines: index.lines)
            self.scanner = scanner
        }
        index.file = now
        var idx = index
        try scanner.scan(final: false) { (line, offset, number, terminated) throws(SteerError) in
            Self.take(&idx, line: line, offset: offset, number: number, terminated: terminated)
        }
        index = idx
        finishPass(scanner)
        return index.samples.count > before ? .grew : .none
    }
}
