/// When a long recording starts a new file, and how many of its files it keeps.
public struct RotationPolicy: Equatable, Sendable {
    /// Start a new file once this many bytes (as written to disk, compressed or not) are in the current one.
    public var maxBytes: Int?
    /// Start a new file once the current one spans this many seconds.
    public var maxSeconds: Double?
    /// Keep at most this many files (the oldest of the recorder's own are deleted).
    public var keep: Int?
    /// Keep at most this many bytes in all (the oldest of the recorder's own files are deleted).
    public var maxTotalBytes: Int?

    public init(maxBytes: Int? = nil, maxSeconds: Double? = nil, keep: Int? = nil, maxTotalBytes: Int? = nil) {
        self.maxBytes = maxBytes; self.maxSeconds = maxSeconds; self.keep = keep; self.maxTotalBytes = maxTotalBytes
    }

    /// "100M", "1G", "512K", "4096" as bytes (K, M, G: powers of 1024; a lowercase m is
    /// minutes, see `duration`); nil on anything else.
    public static func size(_ text: String) -> Int? {
        var t = Substring(text)
        var scale = 1
        switch t.last {
        case "K", "k": scale = 1 << 10
        case "M": scale = 1 << 20
        case "G": scale = 1 << 30
        default: break
        }
        if scale != 1 { t = t.dropLast() }
        guard !t.isEmpty, t.allSatisfy({ $0.isASCII && $0.isNumber }), t.count <= 12, let n = Int(t), n > 0 else { return nil }
        let (v, overflow) = n.multipliedReportingOverflow(by: scale)
        return overflow ? nil : v
    }

    /// "90s", "30m", "1h", "2d" as seconds; nil on anything else (a bare number is a size).
    public static func duration(_ text: String) -> Double? {
        guard let unit = text.last, let n = Int(text.dropLast()), n > 0, n <= 366 * 86_400 else { return nil }
        switch unit {
        case "s": return Double(n)
        case "m": return Double(n) * 60
        case "h": return Double(n) * 3600
        case "d": return Double(n) * 86_400
        default: return nil
        }
    }

    /// The file names of a rotated recording: "recordings/x.jsonl.zst" gives
    /// "recordings/x.0001.jsonl.zst", "recordings/x.0002.jsonl.zst", ...
    public static func path(_ base: String, sequence: Int) -> String {
        let n = String(sequence)
        let seq = "." + String(repeating: "0", count: max(0, 4 - n.count)) + n
        let slash = base.lastIndex(of: "/").map { base.index(after: $0) } ?? base.startIndex
        if let dot = base[slash...].firstRange(of: ".jsonl") {
            return String(base[..<dot.lowerBound]) + seq + String(base[dot.lowerBound...])
        }
        return base + seq
    }
}

/// Where a recorder writes records: one file (RecordingWriter) or a rotated sequence.
public protocol RecordingSink: AnyObject {
    func write(_ record: Record) throws(SteerError)
    func close()
    /// The file being written.
    var path: String { get }
    var lines: Int { get }
    var bytes: Int { get }
}

extension RecordingWriter: RecordingSink {}

/// A recording written to a sequence of files: a new one, with its own header, when the
/// current one reaches the policy's size or duration, and only between whole samples.
/// The oldest of its own files are deleted to stay within `keep` and `maxTotalBytes`
/// (never a file it did not make).
public final class RotatingRecordingWriter: RecordingSink {
    public let base: String
    public let policy: RotationPolicy
    public let header: RecordingHeader
    public private(set) var current: RecordingWriter
    /// The files written, oldest first, with their sizes (deleted ones removed).
    public private(set) var files: [(path: String, bytes: Int)] = []
    public private(set) var deleted: [String] = []
    private var sequence = 1
    private var startedAt: Double?
    /// Lines and bytes over all files (including deleted ones).
    public private(set) var lines = 0
    public private(set) var bytes = 0

    public init(base: String, header: RecordingHeader, policy: RotationPolicy) throws(SteerError) {
        self.base = base
        self.policy = policy
        self.header = header
        let first = RotationPolicy.path(base, sequence: 1)
        current = try RecordingWriter(creating: first, header: header)
        files = [(first, current.bytes)]
        lines = current.lines
        bytes = current.bytes
    }

    public var path: String { current.path }

    /// Writes one record to the current file.
    public func write(_ record: Record) throws(SteerError) {
        let before = current.bytes, beforeLines = current.lines
        defer {
            bytes += current.bytes - before
            lines += current.lines - beforeLines
            files[files.count - 1].bytes = current.bytes
        }
        try current.write(record)
    }

    /// Called after a whole sample (and its stream ends) at recording time `t`: starts the
    /// next file when the current one is full or old enough. Returns the new file's path.
    @discardableResult
    public func sampleDone(t: Double) throws(SteerError) -> String? {
        if startedAt == nil { startedAt = t }
        let full = policy.maxBytes.map { current.bytes >= $0 } ?? false
        let old = policy.maxSeconds.map { t - (startedAt ?? t) >= $0 } ?? false
        guard full || old else { return nil }
        let before = current.bytes
        current.close()
        // Closing a compressed file writes the end of its frame.
        bytes += current.bytes - before
        files[files.count - 1].bytes = current.bytes
        sequence += 1
        let next = RotationPolicy.path(base, sequence: sequence)
        current = try RecordingWriter(creating: next, header: header)
        bytes += current.bytes
        lines += current.lines
        files.append((next, current.bytes))
        startedAt = t
        prune()
        return next
    }

    /// Deletes the oldest finished files beyond `keep` or `maxTotalBytes` (never the current one).
    func prune() {
        while files.count > 1 {
            let total = files.reduce(0) { $0 + $1.bytes }
            let tooMany = policy.keep.map { files.count > $0 } ?? false
            let tooBig = policy.maxTotalBytes.map { total > $0 } ?? false
            guard tooMany || tooBig else { return }
            let oldest = files.removeFirst()
            _ = LibC.unlink(oldest.path)
            deleted.append(oldest.path)
        }
    }

    public func close() {
        let before = current.bytes
        current.close()
        bytes += current.bytes - before
        files[files.count - 1].bytes = current.bytes
    }
}
