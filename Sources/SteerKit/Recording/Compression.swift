#if canImport(Glibc)
import Glibc
#endif
import CSteerCompress

/// How a recording file is compressed, from its name: `.jsonl.zst` (zstd), `.jsonl.gz`
/// (gzip) or plain. Both go through the system's libzstd and zlib, never a codec of our own.
public enum RecordingCompression: String, Sendable, CaseIterable {
    case none, gzip, zstd

    /// The compression a file name asks for.
    public init(path: String) {
        if path.hasSuffix(".zst") { self = .zstd } else if path.hasSuffix(".gz") { self = .gzip } else { self = .none }
    }

    /// ".zst", ".gz" or "".
    public var suffix: String {
        switch self {
        case .none: return ""
        case .gzip: return ".gz"
        case .zstd: return ".zst"
        }
    }

    /// The zstd level: 3 (zstd's default) compresses a sample of 110 pods about 10× at a
    /// cost the recorder's tick can carry.
    static let zstdLevel: Int32 = 3
    /// The gzip level: 6 (zlib's default).
    static let gzipLevel: Int32 = 6
    /// A new zstd frame or gzip member starts after the line that brings the current one
    /// to this many uncompressed bytes: replay restarts decompression at the frame before
    /// the line it wants (RecordingIndex), so a seek decompresses at most this much. Each
    /// restart costs the frame's header and a fresh dictionary: about 1% of the size.
    public static let frameBytes = 1 << 20
}

/// Compresses a recording line by line: each line is flushed (zstd ZSTD_e_flush, zlib
/// Z_SYNC_FLUSH), so the file always ends with whole lines a reader can decompress while
/// the recorder is still writing, and a killed recorder loses at most the line it was
/// writing. `finish` ends the frame (zstd) or member (gzip) on a clean close.
final class LineCompressor {
    let kind: RecordingCompression
    private var zstd: OpaquePointer?
    private var zlib = z_stream()
    private var chunk = [UInt8](repeating: 0, count: 1 << 16)
    /// Uncompressed bytes in the current frame or member.
    private var frameFill = 0

    init(_ kind: RecordingCompression) throws(SteerError) {
        self.kind = kind
        switch kind {
        case .none: break
        case .zstd:
            guard let c = ZSTD_createCCtx() else { throw SteerError.invalid("zstd: cannot create a compression context (out of memory?)") }
            zstd = c
            _ = ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, RecordingCompression.zstdLevel)
            _ = ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1)
        case .gzip:
            guard csteer_deflate_init_gzip(&zlib, RecordingCompression.gzipLevel) == Z_OK else {
                throw SteerError.invalid("zlib: cannot start a gzip stream (out of memory?)")
            }
        }
    }

    deinit {
        if let zstd { ZSTD_freeCCtx(zstd) }
        if kind == .gzip { deflateEnd(&zlib) }
    }

    /// The compressed bytes of `input`, flushed, appended to `out`.
    /// Every `RecordingCompression.frameBytes` the frame or member is ended after the line,
    /// so that a reader can start decompressing at the next one.
    func compress(_ input: UnsafeRawBufferPointer, into out: inout [UInt8]) throws(SteerError) {
        frameFill += input.count
        guard frameFill >= RecordingCompression.frameBytes else {
            try run(input, end: false, into: &out)
            return
        }
        try run(input, end: true, into: &out)
        frameFill = 0
        // zstd begins a new frame by itself; a gzip stream is reset to write a new member.
        if kind == .gzip { deflateReset(&zlib) }
    }

    /// Ends the stream: the bytes that close the frame, appended to `out`.
    func finish(into out: inout [UInt8]) throws(SteerError) {
        try run(UnsafeRawBufferPointer(start: nil, count: 0), end: true, into: &out)
    }

    private func run(_ input: UnsafeRawBufferPointer, end: Bool, into out: inout [UInt8]) throws(SteerError) {
        switch kind {
        case .none:
            out.append(contentsOf: input)
        case .zstd:
            var inBuf = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
            while true {
                var remaining = 0
                let produced = chunk.withUnsafeMutableBytes { c -> Int in
                    var outBuf = ZSTD_outBuffer(dst: c.baseAddress, size: c.count, pos: 0)
                    remaining = ZSTD_compressStream2(zstd, &outBuf, &inBuf, end ? ZSTD_e_end : ZSTD_e_flush)
                    return outBuf.pos
                }
                if ZSTD_isError(remaining) != 0 {
                    throw SteerError.invalid("zstd: \(String(cString: ZSTD_getErrorName(remaining)))")
                }
                out.append(contentsOf: chunk[0..<produced])
                if remaining == 0 && inBuf.pos == inBuf.size { return }
            }
        case .gzip:
            let base = UnsafeMutablePointer<UInt8>(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
            zlib.next_in = base
            zlib.avail_in = uInt(input.count)
            while true {
                let (rc, produced) = chunk.withUnsafeMutableBytes { c -> (Int32, Int) in
                    zlib.next_out = c.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    zlib.avail_out = uInt(c.count)
                    let rc = deflate(&zlib, end ? Z_FINISH : Z_SYNC_FLUSH)
                    return (rc, c.count - Int(zlib.avail_out))
                }
                guard rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR else {
                    throw SteerError.invalid("zlib: deflate failed (\(rc))")
                }
                out.append(contentsOf: chunk[0..<produced])
                if end ? rc == Z_STREAM_END : (zlib.avail_in == 0 && zlib.avail_out != 0) { return }
            }
        }
    }
}

/// A place a reader can start decompressing a recording: the start of a zstd frame or a
/// gzip member (any line start of a plain file), as a file offset and the offset of its
/// first byte in the decompressed stream.
public struct RestartPoint: Equatable, Sendable {
    public var compressed: Int64
    public var decompressed: Int64
    public init(compressed: Int64, decompressed: Int64) { self.compressed = compressed; self.decompressed = decompressed }
}

/// The bytes of a recording file for `LineScanner`: decompressed when the
/// file starts with the zstd or gzip magic number, as they are otherwise. A stream that
/// ends without its frame's end (a recorder still writing, or killed) gives what it holds.
final class RecordingByteSource {
    let fd: Int32
    let path: String
    private(set) var kind: RecordingCompression = .none
    private var input: UnsafeMutableRawBufferPointer
    private var inStart = 0
    private var inEnd = 0
    private var atEOF = false
    private var zstd: OpaquePointer?
    private var zlib = z_stream()
    private var zlibStarted = false
    /// File bytes read so far (from the start point) and decompressed bytes handed out.
    private var fileRead: Int64
    private var produced: Int64
    /// The frames or members begun so far, the first one at the start point.
    private(set) var restarts: [RestartPoint]
    /// The file offset where reading stops (a frame boundary: half of a file indexed at once).
    var limit: Int64 = .max

    /// Moves every decompressed offset by `shift`: the start point's own offset was not
    /// known when reading began (the second half of a file indexed at once).
    func rebase(by shift: Int64) {
        produced += shift
        restarts = restarts.map { RestartPoint(compressed: $0.compressed, decompressed: $0.decompressed + shift) }
    }

    /// Reads `fd` from its current offset, which is `start.compressed` (a frame or member
    /// start of a compressed file).
    init(fd: Int32, path: String, start: RestartPoint = .init(compressed: 0, decompressed: 0), limit: Int64 = .max) throws(SteerError) {
        self.fd = fd
        self.path = path
        self.limit = limit
        fileRead = start.compressed
        produced = start.decompressed
        restarts = [start]
        input = .allocate(byteCount: 1 << 17, alignment: 16)
        try fill()
        if inEnd - inStart >= 4, input[0] == 0x28, input[1] == 0xb5, input[2] == 0x2f, input[3] == 0xfd {
            kind = .zstd
            guard let d = ZSTD_createDCtx() else { throw SteerError.invalid("zstd: cannot create a decompression context") }
            zstd = d
        } else if inEnd - inStart >= 2, input[0] == 0x1f, input[1] == 0x8b {
            kind = .gzip
            guard csteer_inflate_init_gzip(&zlib) == Z_OK else { throw SteerError.invalid("zlib: cannot start reading gzip") }
            zlibStarted = true
        }
    }

    deinit {
        if let zstd { ZSTD_freeDCtx(zstd) }
        if zlibStarted { inflateEnd(&zlib) }
        input.deallocate()
    }

    /// Reads more of the file into the input buffer (after what is left in it).
    private func fill() throws(SteerError) {
        if inStart > 0 {
            let rest = inEnd - inStart
            if rest > 0 { memmove(input.baseAddress!, input.baseAddress! + inStart, rest) }
            inEnd = rest
            inStart = 0
        }
        guard inEnd < input.count, !atEOF else { return }
        let room = Int(min(Int64(input.count - inEnd), max(0, limit - fileRead)))
        guard room > 0 else {
            atEOF = true
            return
        }
        switch LibC.read(fd, UnsafeMutableRawBufferPointer(rebasing: input[inEnd..<(inEnd + room)])) {
        case .success(0): atEOF = true
        case .success(let n):
            inEnd += n
            fileRead += Int64(n)
        case .failure(let e): throw SteerError.read(path: path, errno: e)
        }
    }

    /// Reads on after the end was met once: the file may have grown since.
    func resume() { atEOF = false }

    /// The file offset of the next compressed byte to decode.
    private var consumed: Int64 { fileRead - Int64(inEnd - inStart) }

    /// A new frame or member starts at the next compressed byte.
    private func frameEnded() {
        let point = RestartPoint(compressed: consumed, decompressed: produced)
        if restarts.last != point { restarts.append(point) }
    }

    /// Fills `out` with the next bytes of the recording; 0 at its end.
    func read(into out: UnsafeMutableRawBufferPointer) throws(SteerError) -> Int {
        let n = try decode(into: out)
        produced += Int64(n)
        return n
    }

    private func decode(into out: UnsafeMutableRawBufferPointer) throws(SteerError) -> Int {
        // A plain file, once the first chunk is used: straight into the caller's buffer,
        // no copy (stats' fast path reads hundreds of MB this way).
        if kind == .none && inStart == inEnd {
            if atEOF { return 0 }
            switch LibC.read(fd, out) {
            case .success(let n): return n
            case .failure(let e): throw SteerError.read(path: path, errno: e)
            }
        }
        while true {
            if inStart == inEnd && !atEOF { try fill() }
            // All input given: a decoder may still hold output (one more call drains it).
            let drained = inStart == inEnd && atEOF
            switch kind {
            case .none:
                if drained { return 0 }
                let n = min(out.count, inEnd - inStart)
                out.baseAddress!.copyMemory(from: input.baseAddress! + inStart, byteCount: n)
                inStart += n
                return n
            case .zstd:
                var inBuf = ZSTD_inBuffer(src: input.baseAddress! + inStart, size: inEnd - inStart, pos: 0)
                var outBuf = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
                let rc = ZSTD_decompressStream(zstd, &outBuf, &inBuf)
                if ZSTD_isError(rc) != 0 {
                    throw SteerError.invalid("\(path) is not a readable zstd recording: \(String(cString: ZSTD_getErrorName(rc)))")
                }
                inStart += inBuf.pos
                if rc == 0 {
                    // The frame is whole: the next one (if any) starts here.
                    produced += Int64(outBuf.pos)
                    frameEnded()
                    produced -= Int64(outBuf.pos)
                }
                if outBuf.pos > 0 { return outBuf.pos }
                if drained { return 0 }
                if inBuf.pos == 0 {
                    // No progress: the rest is an unfinished frame (a recorder still writing).
                    if atEOF { return 0 }
                    try fill()
                }
            case .gzip:
                zlib.next_in = (input.baseAddress! + inStart).assumingMemoryBound(to: UInt8.self)
                zlib.avail_in = uInt(inEnd - inStart)
                zlib.next_out = out.baseAddress!.assumingMemoryBound(to: UInt8.self)
                zlib.avail_out = uInt(out.count)
                let rc = inflate(&zlib, Z_NO_FLUSH)
                let consumed = (inEnd - inStart) - Int(zlib.avail_in)
                let made = out.count - Int(zlib.avail_out)
                inStart += consumed
                if rc == Z_STREAM_END {
                    // Another gzip member may follow (a recording appended to): read it too.
                    inflateReset(&zlib)
                    produced += Int64(made)
                    frameEnded()
                    produced -= Int64(made)
                } else if rc != Z_OK && rc != Z_BUF_ERROR {
                    throw SteerError.invalid("\(path) is not a readable gzip recording (zlib error \(rc))")
                }
                if made > 0 { return made }
                if drained { return 0 }
                if consumed == 0 {
                    if atEOF { return 0 }
                    try fill()
                }
            }
        }
    }
}

extension RecordingCompression {
    /// The offset of the first zstd frame that starts at or after `offset` in the zstd file
    /// `fd`, found by walking the frames from the start (their headers and block headers
    /// only, ZSTD_findFrameCompressedSize); nil when a frame does not read whole.
    static func zstdFrameStart(_ fd: Int32, atOrAfter offset: Int64) -> Int64? {
        let window = 8 << 20
        var buffer = [UInt8](repeating: 0, count: window)
        var bufferStart: Int64 = -1, bufferCount = 0
        var at: Int64 = 0
        while at < offset {
            if bufferStart < 0 || at - bufferStart > Int64(window / 2) {
                let r = buffer.withUnsafeMutableBytes { LibC.pread(fd, $0, offset: Int(at)) }
                guard case .success(let n) = r, n > 0 else { return nil }
                bufferStart = at
                bufferCount = n
            }
            let from = Int(at - bufferStart)
            let size = buffer.withUnsafeBytes { p in ZSTD_findFrameCompressedSize(p.baseAddress! + from, bufferCount - from) }
            guard ZSTD_isError(size) == 0, size > 0 else { return nil }
            at += Int64(size)
        }
        return at
    }
}
