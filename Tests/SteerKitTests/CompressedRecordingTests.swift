#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import SteerKit

// Long recordings (issue 12, item 8): compressed files read like plain ones, readable while
// being written, rotation with whole samples and a budget.

fileprivate let header = RecordingHeader(
    started: "2025-01-01T00:00:00Z", host: "h", kernel: "k", cpus: 2, intervalSeconds: 1, toolVersion: "t",
    argv: ["steertop", "record"], targets: RecordingTargets(node: "", ifaces: ["eth1"], netns: [], podIfaces: []))

fileprivate func sample(_ t: Double) -> Record {
    .sample(Sample(t: t, mode: t < 5 ? "baseline" : "rps",
                   cpus: [CPUUsage(cpu: 0, usr: 1, nice: 0, sys: 2, iowait: 0, irq: 0, soft: t, steal: 0, guest: 0, gnice: 0, idle: 90)],
                   ifaces: [InterfaceSample(name: "eth1", netns: "", rxBps: 1e9 + t, queues: [QueueState(queue: 0, rpsCPUs: "3", rpsFlowCount: 0)])],
                   streams: [StreamRate(id: "s0", bps: 1e6 * t)], totalBps: 1e6 * t))
}

@Suite("Compressed recordings")
struct CompressedRecordingTests {
    @Test("zstd and gzip recordings read back the same records as plain, by replay's and stats' readers",
          arguments: [RecordingCompression.zstd, .gzip])
    func roundTrip(kind: RecordingCompression) throws {
        let dir = TemporaryDirectory()
        let plainPath = dir.file("r.jsonl"), packedPath = dir.file("r.jsonl" + kind.suffix)
        let plain = try RecordingWriter(creating: plainPath, header: header)
        let packed = try RecordingWriter(creating: packedPath, header: header)
        for t in 1...200 {
            try plain.write(sample(Double(t)))
            try packed.write(sample(Double(t)))
        }
        plain.close()
        packed.close()
        let a = try RecordingReader.read(plainPath), b = try RecordingReader.read(packedPath)
        #expect(b.header == a.header)
        #expect(b.records == a.records)
        #expect(b.records.count == 200)
        #expect(b.problems.isEmpty && !b.truncatedLastLine)
        #expect(packed.bytes < plain.bytes / 3, "\(packed.bytes) vs \(plain.bytes)")
        // The file starts with the format's magic number: it is really zstd/gzip.
        let first = try #require(try? BoundedFile.read(packedPath, limit: 1 << 24).get())
        #expect(kind == .zstd ? first.prefix(4) == [0x28, 0xb5, 0x2f, 0xfd] : first.prefix(2) == [0x1f, 0x8b])
        // stats' reader (RunExtractor) goes through the same byte source.
        let runsA = try RunExtractor.recordings(in: plainPath)[0], runsB = try RunExtractor.recordings(in: packedPath)[0]
        #expect(StatsReport([runsB]).json() == StatsReport([runsA]).json())
    }

    @Test("a file still being written, and one cut anywhere (kill -9), gives its whole lines",
          arguments: [RecordingCompression.zstd, .gzip])
    func readableWhileWritten(kind: RecordingCompression) throws {
        let dir = TemporaryDirectory()
        let path = dir.file("live.jsonl" + kind.suffix)
        let writer = try RecordingWriter(creating: path, header: header)
        for t in 1...50 { try writer.write(sample(Double(t))) }
        // Not closed: every line is flushed, so all 50 are there now.
        #expect(try RecordingReader.read(path).records.count == 50)
        let bytes = try #require(try? BoundedFile.read(path, limit: 1 << 24).get())
        writer.close()
        // Cut in the middle of the last line's compressed bytes: the others are read.
        let cut = dir.file("cut.jsonl" + kind.suffix)
        let fd = open(cut, O_WRONLY | O_CREAT, 0o600)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, bytes.count - 7) }
        close(fd)
        let contents = try RecordingReader.read(cut)
        #expect(contents.records.count >= 48)
        #expect(contents.records.count <= 50)
        #expect(contents.problems.isEmpty)
    }

    @Test("corrupt compressed data is one line naming the file")
    func corrupt() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("bad.jsonl.zst")
        let fd = open(path, O_WRONLY | O_CREAT, 0o600)
        let junk: [UInt8] = [0x28, 0xb5, 0x2f, 0xfd] + (0..<64).map { UInt8($0 * 37 & 0xff) }
        _ = junk.withUnsafeBytes { write(fd, $0.baseAddress, junk.count) }
        close(fd)
        do {
            _ = try RecordingReader.read(path)
            Issue.record("junk read as a recording")
        } catch {
            #expect(error.description.contains(path))
            #expect(!error.description.contains("\n"))
        }
    }
}

@Suite("Rotated recordings")
struct RotationTests {
    @Test func sizesAndDurations() {
        #expect(RotationPolicy.size("100M") == 100 << 20)
        #expect(RotationPolicy.size("1G") == 1 << 30)
        #expect(RotationPolicy.size("512K") == 512 << 10)
        #expect(RotationPolicy.size("4096") == 4096)
        for bad in ["", "M", "-1M", "1.5M", "1T", "10m", "99999999999999G"] { #expect(RotationPolicy.size(bad) == nil, "\(bad)") }
        #expect(RotationPolicy.duration("1h") == 3600)
        #expect(RotationPolicy.duration("30m") == 1800)
        #expect(RotationPolicy.duration("90s") == 90)
        #expect(RotationPolicy.duration("100M") == nil)
        #expect(RotationPolicy.path("recordings/x.jsonl.zst", sequence: 2) == "recordings/x.0002.jsonl.zst")
        #expect(RotationPolicy.path("a.b/x.jsonl", sequence: 12) == "a.b/x.0012.jsonl")
        #expect(RotationPolicy.path("x.log", sequence: 1) == "x.log.0001")
    }

    @Test("rotation by size: each file a recording with its header and whole samples; --keep deletes the oldest")
    func bySize() throws {
        let dir = TemporaryDirectory()
        let base = dir.file("r.jsonl.zst")
        let w = try RotatingRecordingWriter(base: base, header: header, policy: RotationPolicy(maxBytes: 2000, keep: 3))
        var made: [String] = []
        for t in 1...300 {
            try w.write(sample(Double(t)))
            try w.write(.streamEnd(StreamEnd(t: Double(t), id: "s0", bps: 1e6, bytes: 1e6, seconds: 1)))
            if let next = try w.sampleDone(t: Double(t)) { made.append(next) }
        }
        w.close()
        #expect(made.count >= 3)
        #expect(w.files.count == 3)
        #expect(w.deleted.count == made.count + 1 - 3)
        for d in w.deleted { #expect(!LibC.access(d, F_OK)) }
        var total = 0
        for f in w.files {
            let c = try RecordingReader.read(f.path)
            #expect(c.header == header)
            #expect(!c.truncatedLastLine && c.problems.isEmpty)
            // Whole samples: every sample is followed by its stream_end in the same file.
            #expect(c.records.count % 2 == 0)
            total += c.records.count / 2
        }
        #expect(total > 0)
        #expect(w.files.map(\.path).last == RotationPolicy.path(base, sequence: made.count + 1))
    }

    @Test("rotation by age and --max-total")
    func byAgeAndTotal() throws {
        let dir = TemporaryDirectory()
        let w = try RotatingRecordingWriter(base: dir.file("r.jsonl"), header: header,
                                            policy: RotationPolicy(maxSeconds: 10, maxTotalBytes: 6000))
        for t in 1...100 {
            try w.write(sample(Double(t)))
            try w.sampleDone(t: Double(t))
        }
        w.close()
        #expect(!w.deleted.isEmpty)
        #expect(w.files.reduce(0) { $0 + $1.bytes } <= 6000 + w.files.last!.bytes)
        for f in w.files.dropLast() {
            let c = try RecordingReader.read(f.path)
            #expect(c.records.count == 10 || c.records.count == 11)
        }
    }
}
