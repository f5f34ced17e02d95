#if canImport(Glibc)
import Glibc
#endif
import CSteerCompress

/// The index of a recording kept beside it, `.<name>.steerindex` in the same directory,
/// so that the next replay opens at once. Never trusted blindly: it names its format
/// version and the recording's size, mtime and inode, ends with a CRC-32 of all before it,
/// and is rebuilt when any of them does not match or it does not read to its end. It is
/// written (to a temporary name, then renamed) only where the user can write; elsewhere
/// the index lives in memory for this replay only.
public enum RecordingIndexCache {
    /// Bumped whenever the layout below or what the index holds changes.
    public static let version: UInt32 = 2
    static let magic: [UInt8] = Array("STEERIDX".utf8)
    /// No index comes near this: 22 bytes a sample.
    static let limit = 1 << 30

    /// How an index was had.
    public enum Origin: Equatable, Sendable {
        /// Read from the cache.
        case loaded
        /// Built (there was no cache), and saved when `saved`.
        case built(saved: Bool)
        /// The cache was there but not usable (why), so it was built again.
        case rebuilt(reason: String, saved: Bool)
    }

    /// The cache file of `recording`.
    public static func path(of recording: String) -> String {
        let slash = recording.lastIndex(of: "/")
        let dir = slash.map { String(recording[...$0]) } ?? ""
        let name = slash.map { String(recording[recording.index(after: $0)...]) } ?? recording
        return dir + "." + name + ".steerindex"
    }

    /// The index of `recording`: from its cache when that is valid, else built in one pass
    /// and saved.
    /// `announce` is told before a recording of `announceFrom` bytes or more is indexed
    /// (it takes seconds a GB).
    public static func open(_ recording: String, save: Bool = true, announceFrom: Int64 = 64 << 20,
                            announce: ((String) -> Void)? = nil) throws(SteerError) -> (RecordingIndexer, Origin) {
        let cache = path(of: recording)
        var reason: String?
        switch BoundedFile.read(cache, limit: limit) {
        case .success(let bytes):
            let now = try RecordingIndexer.identity(recording)
            switch decode(bytes) {
            case .success(let (index, provisional)) where index.file == now:
                return (RecordingIndexer(path: recording, loaded: index, provisional: provisional), .loaded)
            case .success: reason = "the recording changed since it was indexed"
            case .failure(let why): reason = why.text
            }
        case .failure(.system(.noSuchFileOrDirectory)): break
        case .failure(.tooLarge): reason = "it is larger than any index"
        case .failure(let f): reason = "\(f)"
        }
        if let announce, case .success(let st) = LibC.stat(recording), st.size >= announceFrom {
            announce("indexing \(recording) (\(st.size >> 20) MB)\(reason.map { ", its saved index unusable: \($0)" } ?? ""); "
                     + (save ? "the index is kept beside it, as \(cache), where the directory is writable" : "once"))
        }
        let indexer = try RecordingIndexer(path: recording)
        let saved = save && write(indexer, to: cache)
        return (indexer, reason.map { .rebuilt(reason: $0, saved: saved) } ?? .built(saved: saved))
    }

    /// Writes the cache; false when the directory is not writable (or anything else fails).
    @discardableResult
    public static func write(_ indexer: RecordingIndexer, to cache: String) -> Bool {
        let bytes = encode(indexer.index, provisional: indexer.provisionalCount)
        let temporary = cache + ".\(getpid()).tmp"
        guard case .success(let fd) = LibC.open(temporary, O_WRONLY | O_CREAT | O_EXCL, mode: 0o644) else { return false }
        let ok: Bool
        if case .success = LibC.writeAll(fd, bytes) { ok = true } else { ok = false }
        LibC.close(fd)
        guard ok, case .success = LibC.rename(temporary, cache) else {
            _ = LibC.unlink(temporary)
            return false
        }
        return true
    }

    // MARK: layout

    static func encode(_ index: RecordingIndex, provisional: Int) -> [UInt8] {
        var out = ByteWriter()
        out.bytes(magic)
        out.u32(version)
        out.i64(index.file.size); out.f64(index.file.modified); out.u64(index.file.inode)
        out.u8(UInt8(RecordingCompression.allCases.firstIndex(of: index.compression)!))
        out.i64(index.committed); out.i64(Int64(index.lines)); out.i64(Int64(provisional))
        out.i64(Int64(index.skips.reasons.count))
        for r in index.skips.reasons {
            out.blob(Array(r.one.utf8)); out.blob(Array(r.many.utf8)); out.i64(Int64(r.count)); out.i64(Int64(r.firstLine))
        }
        out.i64(Int64(index.laterHeader ?? -1)); out.i64(Int64(index.unknownTypes))
        out.u8(index.truncatedTail ? 1 : 0); out.u8(index.sorted ? 1 : 0); out.u8(index.traced ? 1 : 0)
        out.blob(index.headerLine)
        out.i64(Int64(index.modes.count))
        for m in index.modes { out.blob(Array(m.name.utf8)) }
        out.i64(Int64(index.marks.count))
        for m in index.marks { out.f64(m.t); out.i64(m.offset); out.u32(m.length); out.u8(m.kind.rawValue) }
        out.i64(Int64(index.restarts.count))
        for r in index.restarts { out.i64(r.compressed); out.i64(r.decompressed) }
        out.i64(Int64(index.samples.count))
        out.data.reserveCapacity(out.data.count + index.samples.count * 22 + 4)
        for e in index.samples { out.f64(e.t); out.i64(e.offset); out.u32(e.length); out.u16(e.mode) }
        let crc = out.data.withUnsafeBytes { p in UInt32(crc32(0, p.baseAddress?.assumingMemoryBound(to: UInt8.self), uInt(p.count))) }
        out.u32(crc)
        return out.data
    }

    struct Unusable: Error { var text: String }

    static func decode(_ bytes: [UInt8]) -> Result<(RecordingIndex, Int), Unusable> {
        guard bytes.count >= magic.count + 8, Array(bytes[0..<magic.count]) == magic else {
            return .failure(.init(text: "it is not a steertop index"))
        }
        let body = bytes.count - 4
        let crc = bytes.withUnsafeBytes { p in UInt32(crc32(0, p.baseAddress?.assumingMemoryBound(to: UInt8.self), uInt(body))) }
        var r = ByteReader(bytes: bytes, end: body)
        r.at = magic.count
        do throws(Unusable) {
            let v = try r.u32()
            guard v == version else { throw Unusable(text: "it was written by another version (format \(v), this one reads \(version))") }
            var tail = ByteReader(bytes: bytes, end: bytes.count)
            tail.at = body
            guard try tail.u32() == crc else { throw Unusable(text: "its checksum does not match (truncated or damaged)") }
            let file = RecordingIndex.FileIdentity(size: try r.i64(), modified: try r.f64(), inode: try r.u64())
            let kind = Int(try r.u8())
            guard kind < RecordingCompression.allCases.count else { throw Unusable(text: "it names no compression") }
            let committed = try r.i64(), lines = try r.count(), provisional = try r.count()
            var reasons: [SkipTally.Reason] = []
            for _ in 0..<(try r.count()) {
                let one = String(decoding: try r.blob(), as: UTF8.self), many = String(decoding: try r.blob(), as: UTF8.self)
                let n = try r.i64(), first = try r.i64()
                guard n > 0, first >= 0 else { throw Unusable(text: "a skip count in it is impossible") }
                reasons.append(.init(one: one, many: many, count: Int(n), firstLine: Int(first)))
            }
            let laterHeader = try r.i64(), unknown = try r.count()
            let truncated = try r.u8() == 1, sorted = try r.u8() == 1, traced = try r.u8() == 1
            let headerLine = try r.blob()
            guard case .header(let header)? = try? RecordCodec.decode(headerLine.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }) else {
                throw Unusable(text: "its header does not read")
            }
            var index = RecordingIndex(header: header, headerLine: headerLine, file: file)
            index.compression = RecordingCompression.allCases[kind]
            index.committed = committed; index.lines = lines
            index.skips = SkipTally(reasons: reasons)
            if laterHeader > 0 { index.laterHeader = Int(laterHeader) }
            index.unknownTypes = unknown
            index.truncatedTail = truncated; index.sorted = sorted; index.traced = traced
            for _ in 0..<(try r.count()) { index.modes.append(ObservedMode(name: String(decoding: try r.blob(), as: UTF8.self))) }
            var previousMark: Int64 = -1
            for _ in 0..<(try r.count()) {
                let t = try r.f64(), offset = try r.i64(), length = try r.u32()
                guard let kind = RecordingIndex.Mark.Kind(rawValue: try r.u8()), offset > previousMark, t.isFinite else {
                    throw Unusable(text: "a mark in it is out of place")
                }
                previousMark = offset
                index.marks.append(.init(t: t, offset: offset, length: length, kind: kind))
            }
            index.restarts = []
            for _ in 0..<(try r.count()) { index.restarts.append(RestartPoint(compressed: try r.i64(), decompressed: try r.i64())) }
            let n = try r.count()
            guard n * 22 == body - r.at, !index.restarts.isEmpty else { throw Unusable(text: "its length does not match its count of samples") }
            index.samples.reserveCapacity(n)
            var previous: Int64 = -1
            for _ in 0..<n {
                let e = RecordingIndex.Entry(t: try r.f64(), offset: try r.i64(), length: try r.u32(), mode: try r.u16())
                guard e.offset > previous, Int(e.mode) < index.modes.count, e.t.isFinite else {
                    throw Unusable(text: "a sample in it is out of place")
                }
                previous = e.offset
                index.samples.append(e)
            }
            guard provisional <= n else { throw Unusable(text: "its counts do not agree") }
            return .success((index, provisional))
        } catch {
            return .failure(error)
        }
    }
}

/// Little-endian fields into bytes.
struct ByteWriter {
    var data: [UInt8] = []
    mutating func bytes(_ b: [UInt8]) { data.append(contentsOf: b) }
    mutating func u8(_ v: UInt8) { data.append(v) }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    mutating func f64(_ v: Double) { u64(v.bitPattern) }
    mutating func blob(_ b: [UInt8]) { i64(Int64(b.count)); bytes(b) }
}

/// Little-endian fields out of bytes, never past `end`.
struct ByteReader {
    let bytes: [UInt8]
    let end: Int
    var at = 0
    typealias Unusable = RecordingIndexCache.Unusable

    mutating func take(_ n: Int) throws(Unusable) -> ArraySlice<UInt8> {
        guard n >= 0, n <= end - at else { throw Unusable(text: "it is truncated") }
        defer { at += n }
        return bytes[at..<(at + n)]
    }
    mutating func uint<T: FixedWidthInteger>(_: T.Type) throws(Unusable) -> T {
        var v: T = 0
        for (i, b) in try take(MemoryLayout<T>.size).enumerated() { v |= T(b) << (8 * i) }
        return v
    }
    mutating func u8() throws(Unusable) -> UInt8 { try uint(UInt8.self) }
    mutating func u16() throws(Unusable) -> UInt16 { try uint(UInt16.self) }
    mutating func u32() throws(Unusable) -> UInt32 { try uint(UInt32.self) }
    mutating func u64() throws(Unusable) -> UInt64 { try uint(UInt64.self) }
    mutating func i64() throws(Unusable) -> Int64 { Int64(bitPattern: try u64()) }
    mutating func f64() throws(Unusable) -> Double { Double(bitPattern: try u64()) }
    /// A count or length: never negative, never more than the bytes left.
    mutating func count() throws(Unusable) -> Int {
        let v = try i64()
        guard v >= 0, v <= Int64(end) else { throw Unusable(text: "a count in it is impossible") }
        return Int(v)
    }
    mutating func blob() throws(Unusable) -> [UInt8] { Array(try take(try count())) }
}
