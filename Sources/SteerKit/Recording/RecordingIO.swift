#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// Writes a recording: whole lines, one write(2) each, nothing buffered in the process, so
/// that kill -9 loses at most the line being written.
public final class RecordingWriter {
    public let path: String
    private let fd: Int32
    private var buffer = JSONBuffer(capacity: 16384)
    /// Set for .jsonl.zst and .jsonl.gz: each line compressed and flushed.
    private var compressor: LineCompressor?
    private var compressed: [UInt8] = []
    /// A write failed: the file was cut back, and (compressed) the stream cannot go on.
    private var broken = false
    public private(set) var lines = 0
    public private(set) var bytes = 0
    private var closed = false

    /// Creates `path` (never overwriting an existing file) and writes the header; a name
    /// ending in .zst or .gz is written compressed (RecordingCompression).
    public init(creating path: String, header: RecordingHeader) throws(SteerError) {
        self.path = path
        fd = try Self.openFile(path, flags: O_WRONLY | O_CREAT | O_EXCL)
        let kind = RecordingCompression(path: path)
        if kind != .none {
            do { compressor = try LineCompressor(kind) } catch {
                LibC.close(fd)
                _ = LibC.unlink(path)
                throw error
            }
        }
        try write(.header(header))
    }

    /// Appends to an existing recording (sweep --resume); its header stays as it is.
    public init(appendingTo path: String) throws(SteerError) {
        self.path = path
        let kind = RecordingCompression(path: path)
        if kind != .none, try !Self.endsWhole(path) {
            // A killed writer leaves its frame unfinished, perhaps mid-line: a new frame
            // after it would make the rest unreadable. Rewritten first, whole lines only.
            // (Only then: a rewrite is a new file, and a replay following it starts over.)
            try Self.rewriteCompressed(path, kind: kind)
        }
        fd = try Self.openFile(path, flags: O_WRONLY | O_APPEND)
        if case .success(let st) = LibC.fstat(fd) { bytes = Int(st.size) }
        if kind != .none {
            // A new zstd frame or gzip member after the others: readers go on through it.
            compressor = try LineCompressor(kind)
            return
        }
        // A crash may have left a partial last line: end it so the next record starts clean.
        if bytes > 0, let last = Self.lastByte(path), last != 0x0a {
            if case .success = LibC.writeAll(fd, [0x0a]) { bytes += 1 }
        }
    }

    /// Whether a compressed recording ends with a finished frame (member) after a whole
    /// line: what a writer that closed cleanly leaves, and a new frame can follow.
    static func endsWhole(_ path: String) throws(SteerError) -> Bool {
        let scanner = try LineScanner(path: path)
        try scanner.scan(final: false) { (_, _, _, _) throws(SteerError) in }
        guard let last = scanner.restartPoints.last, case .success(let st) = LibC.stat(path) else { return false }
        return last.compressed == st.size && last.decompressed == scanner.committed
    }

    /// Rewrites a compressed recording through its last complete line into a finished
    /// frame (member), beside it, then renames it over: the partial-line repair of a plain
    /// file, for a file that cannot be cut at a byte. Nothing is lost but the cut-off line.
    static func rewriteCompressed(_ path: String, kind: RecordingCompression) throws(SteerError) {
        let temp = path + ".resume-\(LibC.pid).tmp"
        let out = try openFile(temp, flags: O_WRONLY | O_CREAT | O_EXCL)
        var done = false
        defer {
            LibC.close(out)
            if !done { _ = LibC.unlink(temp) }
        }
        let compressor = try LineCompressor(kind)
        var packed: [UInt8] = []
        var line: [UInt8] = []
        func put(_ bytes: [UInt8]) throws(SteerError) {
            if case .failure(let e) = LibC.writeAll(out, bytes) {
                throw SteerError.invalid("cannot resume \(path): rewriting it through its last complete line failed: \(SteerError.explain(e, path: temp)); it is unchanged")
            }
        }
        try RecordingReader.forEachLine(path) { (_, bytes, terminated) throws(SteerError) in
            guard terminated else { return }  // the cut-off last line
            line.removeAll(keepingCapacity: true)
            line.append(contentsOf: bytes)
            line.append(0x0a)
            packed.removeAll(keepingCapacity: true)
            var failure: SteerError?
            line.withUnsafeBytes { raw in
                do throws(SteerError) { try compressor.compress(raw, into: &packed) } catch { failure = error }
            }
            if let failure { throw failure }
            try put(packed)
        }
        packed.removeAll(keepingCapacity: true)
        try compressor.finish(into: &packed)
        try put(packed)
        if case .failure(let e) = LibC.rename(temp, path) {
            throw SteerError.invalid("cannot resume \(path): putting its rewritten copy in place failed: \(SteerError.explain(e, path: path)); it is unchanged")
        }
        done = true
    }

    static func lastByte(_ path: String) -> UInt8? {
        guard case .success(let fd) = LibC.open(path, O_RDONLY) else { return nil }
        defer { LibC.close(fd) }
        guard case .success(let st) = LibC.fstat(fd), st.size > 0 else { return nil }
        var b: UInt8 = 0
        let n = withUnsafeMutableBytes(of: &b) { LibC.pread(fd, $0, offset: Int(st.size) - 1) }
        if case .success(1) = n { return b }
        return nil
    }

    static func openFile(_ path: String, flags: Int32) throws(SteerError) -> Int32 {
        switch LibC.open(path, flags, mode: 0o644) {
        case .success(let fd): return fd
        case .failure(.noSuchFileOrDirectory):
            let dir = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
            throw SteerError.invalid("cannot create \(path): directory \(dir.isEmpty ? "." : dir) does not exist; create it or choose another --out")
        case .failure(.fileExists):
            throw SteerError.invalid("\(path) already exists; choose another --out (recordings are never overwritten)")
        case .failure(let e):
            throw SteerError.create(path: path, errno: e)
        }
    }

    deinit { close() }

    /// Appends one record as one line with a single write(2). When the write fails (a
    /// full disk, a quota), the file is cut back with ftruncate(2) to its size before it,
    /// so that it still ends with a whole line.
    public func write(_ record: Record) throws(SteerError) {
        guard !broken else {
            throw SteerError.invalid("\(path): an earlier write failed; record to a new file")
        }
        buffer.reset()
        RecordCodec.encode(record, into: &buffer)
        let written: Result<Void, Errno>
        if let compressor {
            compressed.removeAll(keepingCapacity: true)
            var failure: SteerError?
            buffer.withUnsafeBytes { raw in
                do { try compressor.compress(raw, into: &compressed) } catch { failure = (error as? SteerError) ?? .invalid("\(error)") }
            }
            if let failure {
                broken = true
                throw failure
            }
            written = LibC.writeAll(fd, compressed)
        } else {
            written = buffer.withUnsafeBytes({ LibC.writeAll(fd, $0) })
        }
        if case .failure(let e) = written {
            broken = true
            let cut: String
            switch LibC.ftruncate(fd, bytes) {
            case .success: cut = "the file was cut back to its last complete line (\(bytes) bytes); free some space and record to a new file"
            case .failure(let t): cut = "and cutting it back to its last complete line failed too (\(t)): its last line may be partial"
            }
            throw SteerError.invalid("cannot write a recording line to \(path): \(SteerError.explain(e, path: path)); \(cut)")
        }
        lines += 1
        bytes += compressor == nil ? buffer.count : compressed.count
    }

    /// Closes the file. Every line is already in the kernel's page cache (each went out
    /// with its own write), so nothing is lost if steertop dies; no fsync: a recorder on
    /// the measured node must not stall on the disk.
    public func close() {
        guard !closed else { return }
        closed = true
        if let compressor, !broken {
            // End the zstd frame (its checksum) or the gzip member; a recorder killed
            // before this leaves a file readers still read up to its last flushed line.
            compressed.removeAll(keepingCapacity: true)
            if (try? compressor.finish(into: &compressed)) != nil, case .success = LibC.writeAll(fd, compressed) {
                bytes += compressed.count
            } else {
                _ = LibC.ftruncate(fd, bytes)
            }
        }
        LibC.close(fd)
    }
}

/// A line of a recording that could not be read.
public struct RecordingProblem: Equatable, Sendable, CustomStringConvertible {
    public var path: String
    public var line: Int
    public var reason: String
    public var description: String { "\(path):\(line): \(reason)" }
}

/// Reads recordings line by line: malformed lines are reported by number and skipped,
/// a truncated last line (a crash mid-write) is accepted, unknown types are counted.
public enum RecordingReader {
    /// Everything in a recording, kept in memory (replay).
    public struct Contents: Sendable {
        public var header: RecordingHeader
        public var records: [Record]
        /// The lines skipped and why (RecordRules: the same verdicts as the statistics').
        public var skipped: SkipTally
        /// The first skipped lines, whole.
        public var problems: [RecordingProblem] { skipped.problems }
        /// True when the last line had no newline and could not be read.
        public var truncatedLastLine: Bool
        public var unknownTypes: Int
        /// Recordings concatenated in one file: where in `records` each later header
        /// stands, and its line.
        public var laterHeaders: [(index: Int, line: Int)] = []
    }

    /// Reads a whole recording. Throws when the file cannot be read, is empty, or does not
    /// start with a steertop header.
    public static func read(_ path: String) throws(SteerError) -> Contents {
        var header: RecordingHeader?
        var records: [Record] = []
        var skipped = SkipTally()
        var truncated = false
        var unknown = 0
        var later: [(index: Int, line: Int)] = []
        try forEachLine(path) { (number, line, terminated) throws(SteerError) in
            do {
                let record = try RecordCodec.decode(line)
                if header == nil {
                    guard case .header(let h) = record else {
                        throw SteerError.invalid("\(path) is not a steertop recording: its first line is not a header")
                    }
                    header = h
                    return
                }
                if case .unknown = record { unknown += 1 }
                if case .header = record { later.append((records.count, number)) }
                records.append(record)
            } catch let e as JSONError {
                if header == nil {
                    throw SteerError.invalid("\(path) is not a steertop recording (line \(number): \(e.reason))")
                }
                if !terminated {
                    truncated = true
                    skipped.add(SkipTally.cutOff, line: number)
                } else {
                    skipped.add(e, path: path, line: number)
                }
            } catch let e as SteerError {
                throw e
            } catch {
                skipped.add(JSONError(offset: 0, reason: "\(error)"), path: path, line: number)
            }
        }
        guard let header else { throw SteerError.invalid("\(path) is empty: no recording in it") }
        return Contents(header: header, records: records, skipped: skipped, truncatedLastLine: truncated,
                        unknownTypes: unknown, laterHeaders: later)
    }

    /// Calls `body` with each non-empty line (1-based number, bytes without the newline,
    /// and whether a newline ended it), reading the file in large chunks.
    public static func forEachLine(
        _ path: String,
        _ body: (Int, UnsafeRawBufferPointer, Bool) throws(SteerError) -> Void
    ) throws(SteerError) {
        let scanner = try LineScanner(path: path)
        try scanner.scan(final: true) { (line, _, number, terminated) throws(SteerError) in
            try body(number, line, terminated)
        }
    }
}

/// The one byte cursor over a recording's lines: plain, zstd or gzip (told by the file's
/// first bytes), read in large chunks, each line handed over with its offset in the
/// decompressed stream. It can be resumed after the file grows (a recorder still writing).
public final class LineScanner {
    public let path: String
    /// The file: read through `source` only (a frame walker may pread it).
    let fd: Int32
    let source: RecordingByteSource
    private var capacity = 1 << 22
    private var buffer: UnsafeMutableRawBufferPointer
    private var filled = 0
    /// The decompressed offset of buffer[0].
    private var base: Int64 = 0
    /// Lines seen so far (blank ones included in the numbering).
    public private(set) var lineNumber = 0
    /// The decompressed offset just after the last newline handed over: where a resumed
    /// scan goes on (an unterminated tail is read again once its newline arrives).
    public var committed: Int64 { base }

    /// Opens `path` (a regular file only: a FIFO or a device would block or never end),
    /// starting at the restart point `start` (a zstd frame or gzip member, or any line start
    /// of a plain file) whose first line is numbered `firstLine`.
    /// With `limit`, reading stops at that file offset (a frame boundary).
    public init(path: String, start: RestartPoint = .init(compressed: 0, decompressed: 0), firstLine: Int = 1,
                limit: Int64 = .max) throws(SteerError) {
        self.path = path
        switch BoundedFile.openRegular(path) {
        case .success(let opened): fd = opened.fd
        case .failure(.system(let e)): throw SteerError.open(path: path, errno: e)
        case .failure(.notRegular(let what)):
            throw SteerError.invalid("cannot read \(path) as a recording: it is \(what), not a regular file; give the path of a recording")
        case .failure(let f): throw BoundedFile.error(f, path: path, kind: .recordingLine)
        }
        if start.compressed > 0, case .failure(let e) = LibC.seek(fd, start.compressed) {
            LibC.close(fd)
            throw SteerError.read(path: path, errno: e)
        }
        do {
            source = try RecordingByteSource(fd: fd, path: path, start: start, limit: limit)
        } catch {
            LibC.close(fd)
            throw error
        }
        base = start.decompressed
        lineNumber = firstLine - 1
        buffer = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit {
        buffer.deallocate()
        LibC.close(fd)
    }

    /// How the bytes are compressed (from the file's first bytes).
    public var compression: RecordingCompression { source.kind }
    /// The frames or members seen so far: where a reader can start decompressing.
    public var restartPoints: [RestartPoint] { source.restarts }

    /// Calls `body` with each non-empty line (bytes without the newline, its decompressed
    /// offset, 1-based number, whether a newline ended it) up to the end of the file as it
    /// is now. With `final`, an unterminated last line is handed over too; else it is kept
    /// for the next call (the file may still be growing).
    /// With `stop`, the scan stops before the first line that starts at or after it.
    public func scan(
        final: Bool,
        stop: Int64 = .max,
        _ body: (UnsafeRawBufferPointer, Int64, Int, Bool) throws(SteerError) -> Void
    ) throws(SteerError) {
        source.resume()
        var numberedTail = false
        while true {
            if filled == capacity {
                // A line longer than the buffer: grow it, up to a limit no recording line
                // comes near (a sample of 96 CPUs and 200 interfaces is under 100 KB).
                guard capacity < BoundedFile.Kind.recordingLine.limit else {
                    throw SteerError.invalid("\(path): line \(lineNumber + 1) is longer than \(BoundedFile.byteCount(BoundedFile.Kind.recordingLine.limit)), the bound for a recording line: not a recording")
                }
                let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity * 2, alignment: 16)
                bigger.copyMemory(from: UnsafeRawBufferPointer(buffer))
                buffer.deallocate()
                buffer = bigger
                capacity *= 2
            }
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            let end = filled + n
            var start = 0
            let bytes = UnsafeRawBufferPointer(buffer)
            if let p = bytes.baseAddress {
                var cursor = 0
                while cursor < end {
                    guard let nl = memchr(p + cursor, 0x0a, end - cursor) else { break }
                    let at = p.distance(to: UnsafeRawPointer(nl))
                    if base + Int64(start) >= stop {
                        compact(start, end)
                        return
                    }
                    lineNumber += 1
                    if at > start {
                        try body(UnsafeRawBufferPointer(rebasing: bytes[start..<at]), base + Int64(start), lineNumber, true)
                    }
                    start = at + 1
                    cursor = start
                }
            }
            if n == 0 {
                if final && end > start && !numberedTail {
                    numberedTail = true
                    try body(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), base + Int64(start), lineNumber + 1, false)
                }
                // Keep the tail for a later call.
                compact(start, end)
                return
            }
            compact(start, end)
        }
    }

    /// Keeps the partial line at the front.
    private func compact(_ start: Int, _ end: Int) {
        let rest = end - start
        if rest > 0 && start > 0 {
            memmove(buffer.baseAddress!, buffer.baseAddress! + start, rest)
        }
        base += Int64(start)
        filled = rest
    }

    /// Moves on to `offset` (a line start at or after this position), whose line is `lines + 1`.
    public func skip(to offset: Int64, lines: Int) throws(SteerError) {
        var none: [UInt8] = []
        guard try read(at: offset, count: 0, into: &none) else {
            throw SteerError.invalid("\(path) ends before byte \(offset) of its lines: it changed while read")
        }
        lineNumber = lines
    }

    /// Moves every decompressed offset by `shift` (see RecordingByteSource.rebase).
    public func rebase(by shift: Int64) {
        base += shift
        source.rebase(by: shift)
    }

    /// Counts `n` more lines before this scanner's start (found by a scan of what is before it).
    public func numberAfter(_ n: Int) { lineNumber += n }

    /// The decompressed offset of the next byte this scanner reads.
    public var position: Int64 { base + Int64(filled) }

    /// Reads `count` decompressed bytes from `offset` (not before what this scanner has
    /// already passed: `committed`) into `out`, skipping forward to it; false when the file
    /// ends first. Replay reads compressed recordings this way from a restart point.
    public func read(at offset: Int64, count: Int, into out: inout [UInt8]) throws(SteerError) -> Bool {
        out.removeAll(keepingCapacity: true)
        guard offset >= base else { return false }
        if offset < base + Int64(filled) {
            let from = Int(offset - base)
            let have = min(count, filled - from)
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[from..<(from + have)]))
            compact(from + have, filled)
        } else {
            var skip = offset - (base + Int64(filled))
            base += Int64(filled)
            filled = 0
            while skip > 0 {
                let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<Int(min(Int64(capacity), skip))]))
                if n == 0 { return false }
                skip -= Int64(n)
                base += Int64(n)
            }
        }
        while out.count < count {
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<min(capacity, count - out.count)]))
            if n == 0 { break }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<n]))
            base += Int64(n)
        }
        return out.count == count
    }
}
