#if canImport(Glibc)
import Glibc
#endif

/// One recording, or the rotated files of one, as a single timeline of samples for replay:
/// indexed (`RecordingIndexCache`), the samples decoded only when shown, a bounded number
/// of them kept, so that a day-long recording opens at once and fits in little memory.
public final class ReplayTimeline {
    /// One file of the timeline.
    final class Part {
        let path: String
        var indexer: RecordingIndexer
        let origin: RecordingIndexCache.Origin
        /// A plain file: read with pread(2) here.
        var fd: Int32 = -1
        /// A compressed file: decompressing from the last restart point used.
        var reader: LineScanner?

        init(path: String, indexer: RecordingIndexer, origin: RecordingIndexCache.Origin) {
            self.path = path; self.indexer = indexer; self.origin = origin
        }
        deinit { if fd >= 0 { LibC.close(fd) } }
        var index: RecordingIndex { indexer.index }

        /// Reads `count` decompressed bytes at `offset`.
        func bytes(at offset: Int64, count: Int, into out: inout [UInt8]) throws(SteerError) -> Bool {
            if index.compression == .none {
                if fd < 0 {
                    switch BoundedFile.openRegular(path) {
                    case .success(let o): fd = o.fd
                    case .failure(.system(let e)): throw SteerError.open(path: path, errno: e)
                    case .failure: throw SteerError.invalid("\(path) is no longer a regular file")
                    }
                }
                out = [UInt8](repeating: 0, count: count)
                var done = 0
                while done < count {
                    let r = out.withUnsafeMutableBytes { LibC.pread(fd, UnsafeMutableRawBufferPointer(rebasing: $0[done...]), offset: Int(offset) + done) }
                    switch r {
                    case .success(0): out.removeLast(count - done); return false
                    case .success(let n): done += n
                    case .failure(let e): throw SteerError.read(path: path, errno: e)
                    }
                }
                return true
            }
            // Go on from where the last read ended when that is before `offset` in the
            // same frame; else start at the restart point before it.
            let restarts = index.restarts
            var lo = 0, hi = restarts.count - 1
            while lo < hi {
                let mid = (lo + hi + 1) / 2
                if restarts[mid].decompressed <= offset { lo = mid } else { hi = mid - 1 }
            }
            let point = restarts[lo]
            if let r = reader, r.position <= offset, r.position >= point.decompressed {
                return try r.read(at: offset, count: count, into: &out)
            }
            let r = try LineScanner(path: path, start: point)
            reader = r
            return try r.read(at: offset, count: count, into: &out)
        }

        func reset() {
            if fd >= 0 { LibC.close(fd) }
            fd = -1
            reader = nil
        }
    }

    /// A sample of the timeline: which part, which entry of its index.
    struct Slot {
        var part: UInt32
        var entry: UInt32
    }

    private(set) var parts: [Part]
    /// The directories given: files of the recording that appear in them later (a
    /// rotating recorder still writing) join the timeline.
    private let directories: [String]
    private let saveIndex: Bool
    private var slots: [Slot] = []
    /// Decoded samples by slot, at most `keep` of them.
    private var decoded: [Int: Sample] = [:]
    /// Samples kept decoded: the history chart's window and a little more.
    public let keep: Int
    /// The `mode` records of all parts in time order; decoded when asked for, a few kept.
    private var modeSlots: [Slot] = []
    private var decodedModes: [Int: ModeChange] = [:]
    private var scratch: [UInt8] = []
    /// Files in the directories that are not this recording's: not looked at again.
    private var ignored = Set<String>()
    /// Samples whose line no longer reads as one (the file changed under replay).
    public private(set) var unreadable = 0

    /// Opens recordings given as files or directories (every `*.jsonl`, `*.jsonl.gz` and
    /// `*.jsonl.zst` in them): the files of one recording (rotated, or appended to) are
    /// one timeline; files of different hosts are refused. `keep` bounds the samples kept
    /// decoded; `saveIndex` false keeps indexes in memory only.
    /// `announce` is told before a big file is indexed (seconds a GB).
    public init(_ arguments: [String], keep: Int = 1024, saveIndex: Bool = true,
                announce: ((String) -> Void)? = nil) throws(SteerError) {
        self.keep = max(16, keep)
        self.saveIndex = saveIndex
        directories = arguments.filter { if case .success(let st) = LibC.stat($0) { return st.isDirectory } else { return false } }
        var found: [Part] = []
        for path in try Self.files(arguments) {
            let (indexer, origin) = try RecordingIndexCache.open(path, save: saveIndex, announce: announce)
            found.append(Part(path: path, indexer: indexer, origin: origin))
        }
        let hosts = found.reduce(into: [String]()) { if !$0.contains($1.index.header.host) { $0.append($1.index.header.host) } }
        if hosts.count > 1 {
            let named = hosts.prefix(3).map { "\"\(TerminalText.escape($0, limit: 64))\"" }.joined(separator: ", ")
            throw SteerError.invalid("these recordings come from \(hosts.count) hosts (\(named)\(hosts.count > 3 ? ", ..." : "")): replay one host's files at a time")
        }
        // Rotated files share their recording's header; times of two recordings would interleave.
        let starts = found.reduce(into: [String]()) { if !$0.contains($1.index.header.started) { $0.append($1.index.header.started) } }
        if starts.count > 1 {
            let named = starts.prefix(3).map { TerminalText.escape($0, limit: 64) }.joined(separator: ", ")
            throw SteerError.invalid("these files hold \(starts.count) recordings (started \(named)\(starts.count > 3 ? ", ..." : "")): replay one recording, or the rotated files of one, at a time")
        }
        // Oldest first: by the first sample's time (files with none last).
        parts = found.enumerated().sorted {
            let a = $0.element.index.samples.first?.t ?? .infinity, b = $1.element.index.samples.first?.t ?? .infinity
            return a != b ? a < b : $0.offset < $1.offset
        }.map(\.element)
        rebuild()
        guard !slots.isEmpty else {
            // Lines past each header that are neither samples nor skipped.
            let records = parts.reduce(0) { $0 + max(0, min($1.index.lines, ($1.index.laterHeader ?? .max) - 1) - 1 - $1.index.skipped) }
            throw SteerError.invalid("\(arguments.count == 1 ? arguments[0] : "these recordings") hold\(arguments.count == 1 ? "s" : "") no samples to replay (\(records) other records)"
                                     + (skipSummary.map { "; \($0)" } ?? ""))
        }
    }

    /// The recording files named by `arguments`: files as given, directories by their
    /// recordings in name order.
    public static func files(_ arguments: [String]) throws(SteerError) -> [String] {
        var files: [String] = []
        for a in arguments {
            guard case .success(let st) = LibC.stat(a), st.isDirectory else {
                files.append(a)
                continue
            }
            let names: [String]
            switch LibC.listDirectory(a) {
            case .success(let n): names = n
            case .failure(let e): throw SteerError.open(path: a, errno: e)
            }
            let recordings = names.filter { n in
                !n.hasPrefix(".") && [".jsonl", ".jsonl.gz", ".jsonl.zst"].contains { n.hasSuffix($0) }
            }.sorted()
            guard !recordings.isEmpty else {
                throw SteerError.invalid("\(a) holds no recordings (*.jsonl, *.jsonl.gz, *.jsonl.zst)")
            }
            let dir = a.hasSuffix("/") ? a : a + "/"
            files += recordings.map { dir + $0 }
        }
        guard !files.isEmpty else { throw SteerError.invalid("no recording given") }
        // A file named twice (a glob and its directory) is read once.
        var seen = Set<String>()
        return files.filter { seen.insert($0.hasPrefix("./") ? String($0.dropFirst(2)) : $0).inserted }
    }

    /// The slots in time order, the mode changes of all parts; the decoded samples dropped
    /// unless `keepDecoded` (samples only added at the end).
    private func rebuild(keepDecoded: Bool = false) {
        slots = []
        var changes: [Slot] = []
        var inOrder = true
        for (p, part) in parts.enumerated() {
            let samples = part.index.samples
            slots.reserveCapacity(slots.count + samples.count)
            for e in samples.indices {
                if inOrder, let last = slots.last, samples[e].t < entry(last).t { inOrder = false }
                slots.append(Slot(part: UInt32(p), entry: UInt32(e)))
            }
            for (m, mark) in part.index.marks.enumerated() where mark.kind == .mode {
                changes.append(Slot(part: UInt32(p), entry: UInt32(m)))
            }
        }
        // Stable, as a whole-file replay sorted them.
        if !inOrder {
            slots = slots.enumerated().sorted {
                let a = entry($0.element).t, b = entry($1.element).t
                return a != b ? a < b : $0.offset < $1.offset
            }.map(\.element)
        }
        modeSlots = changes.enumerated().sorted {
            let a = mark($0.element).t, b = mark($1.element).t
            return a != b ? a < b : $0.offset < $1.offset
        }.map(\.element)
        decodedModes = [:]
        if !keepDecoded || !inOrder { decoded = [:] }
    }

    @inline(__always)
    private func entry(_ s: Slot) -> RecordingIndex.Entry { parts[Int(s.part)].indexer.index.samples[Int(s.entry)] }

    // MARK: what the index tells without decoding

    public var count: Int { slots.count }
    public var header: RecordingHeader { parts[0].index.header }
    public var paths: [String] { parts.map(\.path) }
    public var origins: [RecordingIndexCache.Origin] { parts.map(\.origin) }
    public func time(_ i: Int) -> Double { entry(slots[i]).t }
    public func mode(_ i: Int) -> ObservedMode {
        let s = slots[i]
        return parts[Int(s.part)].index.modes[Int(entry(s).mode)]
    }

    @inline(__always)
    private func mark(_ s: Slot) -> RecordingIndex.Mark { parts[Int(s.part)].indexer.index.marks[Int(s.entry)] }

    /// How many mode changes there are, and the time of each, from the index.
    public var modeChangeCount: Int { modeSlots.count }
    public func modeChangeTime(_ k: Int) -> Double { mark(modeSlots[k]).t }

    /// The mode change `k` (in time order), decoded now unless kept; nil when its line no longer reads.
    public func modeChange(_ k: Int) -> ModeChange? {
        if let m = decodedModes[k] { return m }
        let s = modeSlots[k], m = mark(s)
        guard (try? parts[Int(s.part)].bytes(at: m.offset, count: Int(m.length), into: &scratch)) == true,
              case .mode(let change)? = try? scratch.withUnsafeBytes({ try RecordCodec.decode($0) }), change.t == m.t else { return nil }
        if decodedModes.count >= 64 { decodedModes = [:] }
        decodedModes[k] = change
        return change
    }

    /// The last mode change at or before `t`.
    public func modeChange(atOrBefore t: Double) -> ModeChange? {
        var lo = 0, hi = modeSlots.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if modeChangeTime(mid) <= t + 1e-9 { lo = mid + 1 } else { hi = mid }
        }
        return lo > 0 ? modeChange(lo - 1) : nil
    }

    /// The first mode change after `t`.
    public func modeChange(after t: Double) -> ModeChange? {
        var lo = 0, hi = modeSlots.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if modeChangeTime(mid) <= t + 1e-9 { lo = mid + 1 } else { hi = mid }
        }
        return lo < modeSlots.count ? modeChange(lo) : nil
    }

    /// Lines skipped over all files: refused by RecordRules, a truncated last line.
    public var skipped: Int { parts.reduce(0) { $0 + $1.index.skipped } + unreadable }

    /// What was skipped and why, as stats says it ("skipped 3 lines: 1 sample with t out of
    /// range (line 2), ..."), each file's named when there are several; nil when nothing was.
    public var skipSummary: String? {
        var said: [String] = []
        for p in parts {
            guard let s = p.index.skipSummary else { continue }
            said.append(parts.count > 1 ? "\(TerminalText.escape(p.path, limit: 200)): \(s)" : s)
        }
        if unreadable > 0 { said.append("\(unreadable) sample\(unreadable == 1 ? "" : "s") no longer read as indexed") }
        return said.isEmpty ? nil : said.joined(separator: "; ")
    }

    /// Whether the recording was made with tracing (a sample carries stages, flows or why not).
    public var traced: Bool { parts.contains { $0.index.traced } }

    /// Where a second recording starts in a file (concatenated recordings): replay plays
    /// the first, and says so.
    public var laterHeader: (path: String, line: Int)? {
        for p in parts { if let l = p.index.laterHeader { return (p.path, l) } }
        return nil
    }

    /// The last sample at or before `t` (the first when `t` is before all).
    public func index(atOrBefore t: Double) -> Int {
        var lo = 0, hi = slots.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if time(mid) <= t + 1e-9 { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    /// The first sample at or after `t` (`count` when none is).
    public func index(atOrAfter t: Double) -> Int {
        var lo = 0, hi = slots.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if time(mid) < t { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    // MARK: decoding on demand

    /// The sample at `i`, decoded now unless kept; nil when its line no longer reads.
    public func sample(_ i: Int) -> Sample? {
        samples(i...i).first
    }

    /// The `count` samples up to and including `i` (fewer at the start): the history
    /// window replay shows around its cursor.
    public func history(endingAt i: Int, count: Int) -> [Sample] {
        samples(max(0, i - count + 1)...i)
    }

    /// The samples of `range` that read, oldest first; those not kept are decoded, read
    /// in as few spans as the files allow. Only `keep` samples stay decoded.
    public func samples(_ range: ClosedRange<Int>) -> [Sample] {
        let range = range.clamped(to: 0...(slots.count - 1))
        var i = range.lowerBound
        while i <= range.upperBound {
            if decoded[i] != nil { i += 1; continue }
            // A run of slots of one part, each line right after the last.
            let first = slots[i]
            var last = i
            var end = entry(first).offset + Int64(entry(first).length)
            while last + 1 <= range.upperBound, decoded[last + 1] == nil {
                let next = slots[last + 1]
                let e = entry(next)
                guard next.part == first.part, e.offset >= end, e.offset - end < 1 << 16, e.offset + Int64(e.length) - entry(first).offset < 1 << 26 else { break }
                end = e.offset + Int64(e.length)
                last += 1
            }
            decodeSpan(i...last, end: end)
            i = last + 1
        }
        trim(around: range)
        return range.compactMap { decoded[$0] }
    }

    private func decodeSpan(_ span: ClosedRange<Int>, end: Int64) {
        let part = parts[Int(slots[span.lowerBound].part)]
        let start = entry(slots[span.lowerBound]).offset
        let whole: Bool
        do { whole = try part.bytes(at: start, count: Int(end - start), into: &scratch) } catch {
            unreadable += span.count
            return
        }
        _ = whole
        scratch.withUnsafeBytes { raw in
            for k in span {
                let e = entry(slots[k])
                let from = Int(e.offset - start), to = from + Int(e.length)
                guard to <= raw.count, case .sample(let s)? = try? RecordCodec.decode(UnsafeRawBufferPointer(rebasing: raw[from..<to])),
                      s.t == e.t else {
                    unreadable += 1
                    continue
                }
                decoded[k] = s
            }
        }
        if scratch.count > 1 << 22 { scratch = [] }
    }

    /// Drops decoded samples furthest from `range` beyond `keep`.
    private func trim(around range: ClosedRange<Int>) {
        guard decoded.count > keep else { return }
        let mid = (range.lowerBound + range.upperBound) / 2
        let far = decoded.keys.sorted { abs($0 - mid) > abs($1 - mid) }
        for k in far.prefix(decoded.count - keep) where !range.contains(k) { decoded[k] = nil }
    }

    // MARK: a recording still being written

    /// Files of the same recording (same host and start: rotated) that appeared in the
    /// directories given: indexed and added after the others. Another recording's file
    /// is left out, said once. True when a file joined.
    private func joinNewFiles(_ message: inout String?) -> Bool {
        guard !directories.isEmpty, let listed = try? Self.files(directories) else { return false }
        let known = Set(parts.map(\.path)).union(ignored)
        var joined = false
        for path in listed where !known.contains(path) {
            guard let (indexer, origin) = try? RecordingIndexCache.open(path, save: saveIndex) else {
                // Not readable yet (a header not written whole): tried again next time.
                continue
            }
            let h = indexer.index.header, mine = header
            guard h.host == mine.host && h.started == mine.started else {
                ignored.insert(path)
                message = message ?? "\(TerminalText.escape(path, limit: 200)) is another recording's: not played with this one"
                continue
            }
            parts.append(Part(path: path, indexer: indexer, origin: origin))
            joined = true
        }
        return joined
    }

    /// Reads what the files gained since; a message when one shrank or was replaced (then
    /// replay goes on from what it holds now). True in `grew` when there are new samples.
    public func refresh() -> (grew: Bool, message: String?) {
        var grew = false
        var message: String?
        var changed = false, replaced = false
        var gone: [String] = []
        for part in parts {
            do {
                switch try part.indexer.update() {
                case .none: break
                case .grew: grew = true; changed = true
                case .replaced(let why):
                    message = message ?? why
                    part.reset()
                    changed = true
                    replaced = true
                }
            } catch .open(path: _, errno: .noSuchFileOrDirectory) {
                // Rotated away (--keep, --max-total): its samples leave the timeline.
                gone.append(part.path)
                message = message ?? "\(TerminalText.escape(part.path, limit: 200)) was deleted while replayed (rotated away?): its \(part.index.samples.count) samples are no longer shown"
            } catch {
                message = message ?? "\(error)"
            }
        }
        if !gone.isEmpty {
            parts.removeAll { gone.contains($0.path) }
            changed = true
            replaced = true
        }
        if joinNewFiles(&message) { grew = true; changed = true }
        if changed {
            rebuild(keepDecoded: !replaced)
            if slots.isEmpty { message = message ?? "the recording holds no samples now" }
        }
        return (grew, message)
    }
}
