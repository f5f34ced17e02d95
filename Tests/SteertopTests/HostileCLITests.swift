#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import SteerKit
@testable import steertop

// End-to-end reproducers of issue 12: the built binary given hostile files answers with
// one line on stderr and a non-zero exit, never a backtrace, never blocking, and prints
// nothing raw from a file.

/// One line on stderr, no backtrace, a non-zero exit.
func expectOneLineFailure(_ r: CommandOutput, containing text: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(r.status != 0, sourceLocation: sourceLocation)
    let lines = r.stderr.split(separator: "\n")
    #expect(lines.count == 1, "\(r.stderr)", sourceLocation: sourceLocation)
    #expect(r.stderr.contains(text), "\(r.stderr)", sourceLocation: sourceLocation)
    #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("backtrace"), sourceLocation: sourceLocation)
}

@Suite("Hostile files given to the command line")
struct HostileCLITests {
    // replay opens the terminal first; its reader (LineScanner, as RecordingReader's) is refused a FIFO in BoundedReadTests.
    @Test("stats on a FIFO and on /dev/zero: one line, at once")
    func statsAndReplayRefuseNonRegular() throws {
        let state = TestState()
        let dir = TemporaryDirectory()
        let fifo = dir.file("r.jsonl")
        #expect(mkfifo(fifo, 0o600) == 0)
        for path in [fifo, "/dev/zero"] {
            expectOneLineFailure(try steertop(["stats", path], state: state, timeout: 30), containing: "not a regular file")
        }
    }

    @Test("--theme /dev/zero, a FIFO or a 2 GB sparse file: one line and a non-zero exit")
    func themeDevZero() throws {
        let state = TestState()
        let dir = TemporaryDirectory()
        let fifo = dir.file("t.theme")
        #expect(mkfifo(fifo, 0o600) == 0)
        let sparse = dir.file("big.theme")
        let fd = open(sparse, O_WRONLY | O_CREAT, 0o600)
        #expect(ftruncate(fd, off_t(2 << 30)) == 0)
        close(fd)
        let recording = dir.write("r.jsonl", "")
        for (theme, text) in [("/dev/zero", "character device"), (fifo, "FIFO"), (sparse, "larger than 256 KiB")] {
            expectOneLineFailure(try steertop(["replay", recording, "--theme", theme], state: state, timeout: 30), containing: text)
        }
    }

    @Test("stats on a recording whose mode is an escape sequence prints it escaped")
    func statsEscapes() throws {
        let state = TestState()
        let dir = TemporaryDirectory()
        let evil = "\u{1b}[2J\u{1b}]0;pwned\u{07}"
        var lines = [RecordCodec.line(.header(RecordingHeader(
            started: "2025-01-01T00:00:00Z", host: "h\u{1b}[31m", kernel: "k", cpus: 1, intervalSeconds: 1,
            toolVersion: "t", argv: [], targets: RecordingTargets(node: "", ifaces: [], netns: [], podIfaces: []))))]
        var t = 0.0
        for (run, mode) in [ObservedMode(name: evil), ObservedMode(name: evil)].enumerated() {
            lines.append(RecordCodec.line(.run(RunMark(t: t, event: .start, run: run + 1, mode: mode, replicas: 1))))
            for _ in 0..<3 {
                t += 1
                lines.append(RecordCodec.line(.sample(Sample(t: t, mode: mode, streams: [StreamRate(id: "s", bps: 1e6)], totalBps: 1e6))))
            }
            lines.append(RecordCodec.line(.run(RunMark(t: t, event: .end, run: run + 1, mode: mode, replicas: 1, complete: true))))
            t += 1
        }
        lines.append("{\"type\":\"sample\",\"t\":\"\u{1b}]0;x\u{07}\"}\n")
        let path = dir.write("evil.jsonl", lines.joined())
        for format in ["table", "csv", "markdown", "json"] {
            let r = try steertop(["stats", path, "--format", format], state: state, timeout: 60)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(!r.stdout.utf8.contains(0x1b) && !r.stdout.utf8.contains(0x07), "\(format): \(r.stdout)")
            #expect(!r.stderr.utf8.contains(0x1b) && !r.stderr.utf8.contains(0x07), "\(format): \(r.stderr)")
        }
    }

    @Test("restore prints which writes took effect and which did not")
    func restoredTextSaysWhatTookEffect() throws {
        let ok = try SteeringFile(netns: "", path: "/sys/class/net/eth1/queues/rx-0/rps_cpus", isPod: false)
        let bad = try SteeringFile(netns: "", path: "/sys/class/net/eth1/queues/rx-0/rps_flow_cnt", isPod: false)
        let result = SteeringResult(mode: "restore", writes: [
            AppliedWrite(file: ok, before: "0", after: "3", outcome: .written, readBack: "3", verified: true),
            AppliedWrite(file: bad, before: "0", after: "4096", outcome: .failed("EINVAL"), readBack: "0", verified: false),
        ], errors: ["cannot write"], seconds: 0)
        let text = PlanText.restored(result, from: "s.json")
        #expect(text.contains("these 1 writes took effect:\n  \(ok): 0 → 3\n"))
        #expect(text.contains("these 1 writes did not:\n  \(bad): still 0\n"))
    }
}

@Suite("restore refuses hostile snapshots before any write", .serialized, .enabled(if: LibC.isRoot, "restore needs root"))
struct HostileRestoreTests {
    @Test("restore /dev/zero, a FIFO, a 2 GB sparse file: one line, bounded, at once")
    func restoreNonRegularAndHuge() throws {
        let state = TestState()
        let dir = TemporaryDirectory()
        let fifo = dir.file("s.json")
        #expect(mkfifo(fifo, 0o600) == 0)
        let sparse = dir.file("big.json")
        let fd = open(sparse, O_WRONLY | O_CREAT, 0o600)
        #expect(ftruncate(fd, off_t(2 << 30)) == 0)
        close(fd)
        for (path, text) in [("/dev/zero", "character device"), (fifo, "FIFO"), (sparse, "larger than 8 MiB")] {
            expectOneLineFailure(try steertop(["restore", path, "--host"], state: state, timeout: 30), containing: text)
        }
    }

    @Test("a snapshot with a good first and a bad second entry: nothing written, both named")
    func badSecondEntryWritesNothing() throws {
        let state = TestState()
        let dir = TemporaryDirectory()
        for (value, text) in [("\"abc\"", "rps_flow_cnt \"abc\" is not a decimal count"), ("\",,,,\"", nil as String?)] {
            let path = dir.write("s.json", """
                {"format":"steertop-snapshot","version":1,"taken":"","target":"host","files":[\
                {"netns":"","path":"/sys/class/net/lo/queues/rx-0/rps_cpus","pod":false,"value":"1"},\
                {"netns":"","path":"/sys/class/net/lo/queues/rx-0/\(value == "\"abc\"" ? "rps_flow_cnt" : "rps_cpus")","pod":false,"value":\(value)}]}
                """)
            let before = try KernelFile("/sys/class/net/lo/queues/rx-0/rps_cpus").readAttributeText()
            let r = try steertop(["restore", path, "--host"], state: state, timeout: 30)
            #expect(r.status != 0)
            #expect(r.stdout.isEmpty)
            if let text { #expect(r.stderr.contains(text), "\(r.stderr)") }
            #expect(r.stderr.contains("nothing was written") || r.stderr.contains("unexpected value"), "\(r.stderr)")
            #expect(try KernelFile("/sys/class/net/lo/queues/rx-0/rps_cpus").readAttributeText() == before)
        }
    }
}
