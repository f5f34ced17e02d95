#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import SteerKit

// Replay at any size (issue 13): the index beside a recording, samples decoded on demand,
// rotated sets, compressed seeks, a growing file.

fileprivate func header(host: String = "h") -> RecordingHeader {
    RecordingHeader(started: "2025-01-01T00:00:00Z", host: host, kernel: "k", cpus: 2, intervalSeconds: 1, toolVersion: "t",
                    argv: ["steertop", "record"], targets: RecordingTargets(node: "", ifaces: ["eth1"], netns: [], podIfaces: []))
}

fileprivate func sample(_ t: Double, mode: ObservedMode? = nil) -> Record {
    .sample(Sample(t: t, mode: mode ?? (Int(t) / 100 % 2 == 0 ? "baseline" : "rps"),
                   cpus: [CPUUsage(cpu: 0, usr: 1, nice: 0, sys: 2, iowait: 0, irq: 0, soft: t, steal: 0, guest: 0, gnice: 0, idle: 90)],
                   ifaces: [InterfaceSample(name: "eth1", netns: "", rxBps: 1e9 + t, queues: [QueueState(queue: 0, rpsCPUs: "3", rpsFlowCount: 0)])],
                   streams: [StreamRate(id: "s0", bps: 1e6 * t)], totalBps: 1e6 * t))
}

/// The samples a whole-file read gives, in time order: what replay showed before the index.
fileprivate func wholeFileSamples(_ path: String) throws -> [Sample] {
    try RecordingReader.read(path).records.compactMap { r -> Sample? in
        if case .sample(let s) = r, s.t.isFinite, abs(s.t) < 1e9 { return s }
        return nil
    }.sorted { $0.t < $1.t }
}

fileprivate func write(_ path: String, times: ClosedRange<Int>, host: String = "h") throws {
    let w = try RecordingWriter(creating: path, header: header(host: host))
    for t in times { try w.write(sample(Double(t))) }
    w.close()
}

fileprivate func append(_ path: String, _ text: String) {
    let fd = try! LibC.open(path, O_WRONLY | O_APPEND).get()
    _ = LibC.writeAll(fd, Array(text.utf8))
    LibC.close(fd)
}

@Suite("Recording index")
struct RecordingIndexTests {
    static let example = fixturesDirectory() + "/../../../recordings/example-lab-sweep.jsonl"

    @Test("every sample, mode and mode change equals a whole-file replay's (the example sweep)")
    func equalsWholeFile() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("sweep.jsonl")
        let bytes = try #require(try? BoundedFile.read(Self.example, limit: 1 << 26).get())
        let fd = try LibC.open(path, O_WRONLY | O_CREAT | O_EXCL).get()
        _ = LibC.writeAll(fd, bytes)
        LibC.close(fd)
        let whole = try wholeFileSamples(path)
        let timeline = try ReplayTimeline([path], keep: 50)
        #expect(timeline.count == whole.count)
        for i in whole.indices {
            #expect(timeline.time(i) == whole[i].t)
            #expect(timeline.mode(i) == whole[i].mode)
        }
        // Jumps anywhere, in any order, decode exactly the sample a whole-file replay shows.
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let i = Int.random(in: 0..<whole.count, using: &rng)
            #expect(timeline.sample(i) == whole[i])
            let t = whole[i].t + 0.3
            #expect(timeline.index(atOrBefore: t) == (whole.lastIndex { $0.t <= t + 1e-9 } ?? 0))
        }
        let window = timeline.samples(max(0, whole.count - 120)...(whole.count - 1))
        #expect(window == Array(whole.suffix(120)))
        let modes = try RecordingReader.read(path).records.compactMap { r -> ModeChange? in
            if case .mode(let m) = r { return m }
            return nil
        }
        #expect((0..<timeline.modeChangeCount).map { timeline.modeChange($0) } == modes)
        for m in modes {
            #expect(timeline.modeChange(atOrBefore: m.t + 0.5) == m)
            #expect(timeline.modeChange(after: m.t - 0.5) == m)
        }
        #expect(!modes.isEmpty)
    }

    @Test("a big plain or zstd file indexed in two halves at once gives the index of one pass",
          arguments: [RecordingCompression.none, .zstd])
    func halvesEqualOnePass(kind: RecordingCompression) throws {
        let dir = TemporaryDirectory()
        let path = dir.file("r.jsonl" + kind.suffix)
        let w = try RecordingWriter(creating: path, header: header())
        for t in 1...12000 {
            try w.write(sample(Double(t), mode: t > 8000 ? "rfs+" : nil))
            if t % 3000 == 0 { try w.write(.mode(ModeChange(t: Double(t), from: "baseline", to: "rps", ok: true, writes: [], errors: []))) }
            // A malformed line in the second half.
            if t == 10_000 { try w.write(.sample(Sample(t: .nan, mode: "rps"))) }
        }
        w.close()
        if kind == .none {
            let w2 = try RecordingWriter(appendingTo: path)
            try w2.write(sample(12001))
            w2.close()
        }
        let one = try RecordingIndexer(path: path, splitFrom: .max).index
        let two = try RecordingIndexer(path: path, splitFrom: 0).index
        #expect(two.restarts == one.restarts)
        if kind == .zstd { #expect(one.restarts.count >= 4) }
        #expect(two.samples.count == (kind == .none ? 12001 : 12000))
        #expect(two.samples.map(\.t) == one.samples.map(\.t))
        #expect(two.samples.map(\.offset) == one.samples.map(\.offset))
        #expect(two.samples.map { two.modes[Int($0.mode)] } == one.samples.map { one.modes[Int($0.mode)] })
        #expect(two.marks == one.marks && two.marks.count == 4)
        #expect(two.skipped == 1 && one.skipped == 1)
        #expect(two.skips == one.skips && one.skips.reasons.first?.firstLine ?? 0 > 10_000)
        #expect(two.lines == one.lines && two.committed == one.committed)
    }

    @Test("the index is saved beside the recording and read back the same")
    func cachedIndexReadsBack() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("r.jsonl")
        try write(path, times: 1...500)
        let (built, first) = try RecordingIndexCache.open(path)
        #expect(first == .built(saved: true))
        #expect(LibC.stat(dir.file(".r.jsonl.steerindex")).map(\.isRegular) == .success(true))
        let (loaded, second) = try RecordingIndexCache.open(path)
        #expect(second == .loaded)
        #expect(loaded.index.samples == built.index.samples)
        #expect(loaded.index.header == built.index.header)
        #expect(loaded.index.modes == built.index.modes)
        #expect(try ReplayTimeline([path]).sample(499) == (try wholeFileSamples(path))[499])
    }

    @Test("a stale, truncated, damaged or other-version index is rebuilt, never trusted")
    func badIndexRebuilt() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("r.jsonl")
        try write(path, times: 1...300)
        let cache = RecordingIndexCache.path(of: path)
        _ = try RecordingIndexCache.open(path)
        let good = try #require(try? BoundedFile.read(cache, limit: 1 << 24).get())

        func replaceCache(_ bytes: [UInt8]) {
            _ = LibC.unlink(cache)
            let fd = try! LibC.open(cache, O_WRONLY | O_CREAT | O_EXCL).get()
            _ = LibC.writeAll(fd, bytes)
            LibC.close(fd)
        }
        func reason() throws -> String? {
            let (indexer, origin) = try RecordingIndexCache.open(path)
            #expect(indexer.index.samples.count == (try wholeFileSamples(path)).count)
            if case .rebuilt(let why, _) = origin { return why }
            return nil
        }
        replaceCache(Array(good.prefix(good.count / 2)))
        #expect(try reason()?.contains("checksum") == true)
        var flipped = good
        flipped[good.count - 100] ^= 0x40
        replaceCache(flipped)
        #expect(try reason()?.contains("checksum") == true)
        var other = good
        other[8] = 99
        replaceCache(other)
        #expect(try reason()?.contains("another version") == true)
        replaceCache(Array("not an index".utf8))
        #expect(try reason()?.contains("not a steertop index") == true)
        // The recording changed (one more sample): the old index no longer describes it.
        replaceCache(good)
        append(path, "")
        let w = try RecordingWriter(appendingTo: path)
        try w.write(sample(301))
        w.close()
        #expect(try reason()?.contains("changed") == true)
        #expect(try RecordingIndexCache.open(path).1 == .loaded)
    }

    @Test("an index is kept in memory where the directory is not writable")
    func unwritableDirectory() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("r.jsonl")
        try write(path, times: 1...20)
        let (_, origin) = try RecordingIndexCache.open(path, save: false)
        #expect(origin == .built(saved: false))
        #expect(LibC.stat(RecordingIndexCache.path(of: path)).map(\.isRegular) != .success(true))
        // A cache path in a directory that does not exist cannot be written: false, no throw.
        let (indexer, _) = try RecordingIndexCache.open(path, save: false)
        #expect(!RecordingIndexCache.write(indexer, to: dir.file("missing/.r.jsonl.steerindex")))
    }

    @Test("a recording still being written is followed; one that shrinks is read again from what it holds",
          arguments: [RecordingCompression.none, .zstd, .gzip])
    func growingRecording(kind: RecordingCompression) throws {
        let dir = TemporaryDirectory()
        let path = dir.file("live.jsonl" + kind.suffix)
        let w = try RecordingWriter(creating: path, header: header())
        for t in 1...100 { try w.write(sample(Double(t))) }
        let timeline = try ReplayTimeline([path], keep: 32)
        #expect(timeline.count == 100)
        #expect(timeline.refresh() == (false, nil))
        for t in 101...150 { try w.write(sample(Double(t))) }
        let (grew, message) = timeline.refresh()
        #expect(grew && message == nil)
        #expect(timeline.count == 150)
        let got = timeline.sample(149), want = (try wholeFileSamples(path)).last
        #expect(got == want, "\(String(describing: got)) \(String(describing: want)) \(timeline.unreadable)")
        w.close()
        // From the saved index too: opened again, then grown.
        let again = try ReplayTimeline([path], keep: 32)
        #expect(again.count == 150)
        let more = try RecordingWriter(appendingTo: path)
        for t in 151...160 { try more.write(sample(Double(t))) }
        more.close()
        #expect(again.refresh().grew)
        #expect(again.count == 160)
        #expect(again.samples(150...159) == Array((try wholeFileSamples(path)).suffix(10)))
        // Replaced by a shorter recording: one line, then what the new file holds.
        _ = LibC.unlink(path)
        try write(path, times: 1...30)
        let (_, replaced) = again.refresh()
        #expect(replaced?.contains("while replayed") == true)
        #expect(again.count == 30)
        #expect(again.sample(29) == (try wholeFileSamples(path)).last)
    }

    @Test("a partial last line is read again once its newline arrives")
    func partialLineCompleted() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("r.jsonl")
        try write(path, times: 1...10)
        var line = JSONBuffer(capacity: 4096)
        RecordCodec.encode(sample(11), into: &line)
        let text = line.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        append(path, String(text.prefix(40)))
        let timeline = try ReplayTimeline([path], saveIndex: false)
        #expect(timeline.count == 10 && timeline.skipped == 1)
        append(path, String(text.dropFirst(40)))
        #expect(timeline.refresh().grew)
        #expect(timeline.count == 11 && timeline.skipped == 0)
        #expect(timeline.sample(10) == (try wholeFileSamples(path)).last)
    }

    @Test("a directory replayed while its recorder rotates: new files join, deleted ones keep their samples, another recording's is left out")
    func rotatingDirectoryIsFollowed() throws {
        let dir = TemporaryDirectory()
        let rotating = try RotatingRecordingWriter(base: dir.file("node-a.jsonl.zst"), header: header(host: "node-a"),
                                                   policy: RotationPolicy(maxBytes: 4096))
        var t = 0
        func record(_ n: Int) throws {
            for _ in 0..<n {
                t += 1
                try rotating.write(sample(Double(t)))
                try rotating.sampleDone(t: Double(t))
            }
        }
        try record(150)
        let before = rotating.files.count
        let timeline = try ReplayTimeline([dir.path], keep: 64)
        #expect(timeline.paths.count == before)
        // The recorder goes on into new files: they join, in time order.
        try record(250)
        #expect(rotating.files.count > before)
        _ = timeline.refresh()
        _ = timeline.refresh()  // a file being written may join a pass later
        rotating.close()
        _ = timeline.refresh()
        #expect(timeline.count == 400, "\(timeline.count) \(timeline.paths)")
        #expect(timeline.paths.count == rotating.files.count)
        #expect((0..<400).allSatisfy { timeline.time($0) == Double($0 + 1) })
        #expect(timeline.samples(380...399).map(\.t) == (381...400).map(Double.init))
        // The oldest deleted (--keep): one line, its samples leave the timeline.
        let oldest = try ReplayTimeline([rotating.files[0].path]).count
        _ = LibC.unlink(rotating.files[0].path)
        let (_, gone) = timeline.refresh()
        #expect(gone?.contains("was deleted while replayed") == true, "\(String(describing: gone))")
        #expect(timeline.count == 400 - oldest && timeline.time(0) == Double(oldest + 1))
        #expect(timeline.samples(0...9).map(\.t) == (oldest + 1...oldest + 10).map(Double.init))
        #expect(timeline.refresh() == (false, nil))
        // Another recording's file in the directory: said once, not played.
        var other = header(host: "node-a")
        other.started = "2025-01-02T00:00:00Z"
        let w = try RecordingWriter(creating: dir.file("zz-other.jsonl"), header: other)
        try w.write(sample(1))
        w.close()
        let (grew, said) = timeline.refresh()
        #expect(!grew && said?.contains("is another recording's") == true, "\(String(describing: said))")
        #expect(timeline.refresh() == (false, nil))
        #expect(timeline.count == 400 - oldest)
    }

    @Test("rotated files of one recording are one timeline; a directory of two hosts is refused")
    func rotatedSet() throws {
        let dir = TemporaryDirectory()
        let rotating = try RotatingRecordingWriter(base: dir.file("node-a.jsonl.zst"), header: header(host: "node-a"),
                                                   policy: RotationPolicy(maxBytes: 4096))
        for t in 1...400 {
            try rotating.write(sample(Double(t)))
            try rotating.sampleDone(t: Double(t))
        }
        rotating.close()
        #expect(rotating.files.count >= 3)
        let timeline = try ReplayTimeline([dir.path], keep: 64)
        #expect(timeline.count == 400)
        #expect(timeline.paths.count == rotating.files.count)
        #expect((0..<400).allSatisfy { timeline.time($0) == Double($0 + 1) })
        #expect(timeline.samples(250...299).map(\.t) == (251...300).map(Double.init))
        // Given as files, in any order: the same timeline.
        let shuffled = try ReplayTimeline(rotating.files.map(\.path).reversed(), keep: 64)
        #expect((0..<400).allSatisfy { shuffled.time($0) == Double($0 + 1) })

        // Another recording of the same host (another start): its times would interleave.
        let other = TemporaryDirectory()
        try write(other.file("a.jsonl"), times: 1...10, host: "node-a")
        var later = header(host: "node-a")
        later.started = "2025-01-02T00:00:00Z"
        let w = try RecordingWriter(creating: other.file("b.jsonl"), header: later)
        try w.write(sample(1))
        w.close()
        #expect {
            try ReplayTimeline([other.path])
        } throws: { error in
            "\(error)".contains("2 recordings") && !"\(error)".contains("\n")
        }
        // Named twice: read once.
        #expect(try ReplayTimeline([other.file("a.jsonl"), other.file("a.jsonl")]).count == 10)

        try write(dir.file("node-b.jsonl"), times: 1...10, host: "node-b")
        #expect {
            try ReplayTimeline([dir.path])
        } throws: { error in
            "\(error)".contains("2 hosts") && "\(error)".contains("node-b") && !"\(error)".contains("\n")
        }
    }

    @Test("a compressed recording seeks from the frame before the sample, and reads what a whole-file read does",
          arguments: [RecordingCompression.zstd, .gzip])
    func compressedSeek(kind: RecordingCompression) throws {
        let dir = TemporaryDirectory()
        let path = dir.file("big.jsonl" + kind.suffix)
        // Over 3 MB of lines: several frames or members.
        try write(path, times: 1...12_000)
        let timeline = try ReplayTimeline([path], keep: 64)
        let (indexer, _) = try RecordingIndexCache.open(path)
        #expect(indexer.index.compression == kind)
        #expect(indexer.index.restarts.count >= 3, "\(indexer.index.restarts)")
        let whole = try wholeFileSamples(path)
        #expect(timeline.count == whole.count)
        for i in [11_999, 0, 6_000, 5_999, 9_123, 42, 11_000] {
            #expect(timeline.sample(i) == whole[i])
        }
        #expect(timeline.samples(7_000...7_599) == Array(whole[7_000...7_599]))
    }
}
