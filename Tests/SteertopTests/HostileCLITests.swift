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

/// A recording of complete runs (as in SteerKitTests' hostileRecording), lines without newlines.
func cliRecording(_ runs: [(Mode, Double)], cpus: Int = 2) -> [String] {
    func line(_ r: Record) -> String { String(RecordCodec.line(r).dropLast()) }
    var lines = [line(.header(RecordingHeader(
        started: "2025-01-01T00:00:00Z", host: "h", kernel: "k", cpus: cpus, intervalSeconds: 1, toolVersion: "t",
        argv: [], targets: RecordingTargets(node: "", ifaces: [], netns: [], podIfaces: []))))]
    var t = 0.0
    for (k, (mode, bps)) in runs.enumerated() {
        lines.append(line(.run(RunMark(t: t, event: .start, run: k + 1, mode: .mode(mode), replicas: 1))))
        for _ in 0..<3 {
            t += 1
            lines.append(line(.sample(Sample(t: t, mode: .mode(mode), cpus: [CPUUsage(cpu: 0, usr: 1, nice: 0, sys: 1, iowait: 0, irq: 0, soft: 5, steal: 0, guest: 0, gnice: 0, idle: 90)],
                                             streams: [StreamRate(id: "s", bps: bps)], totalBps: bps))))
        }
        lines.append(line(.streamEnd(StreamEnd(t: t, id: "s", bps: bps, bytes: bps * 3 / 8, seconds: 3))))
        lines.append(line(.run(RunMark(t: t, event: .end, run: k + 1, mode: .mode(mode), replicas: 1, complete: true))))
        t += 1
    }
    return lines
}

@Suite("stats and replay on hostile recordings: numbers never change without a word")
struct HostileStatsCLITests {
    @Test("escaped keys and type give the same figures as plain ones, with nothing skipped")
    func escapedKeys() throws {
        let state = TestState()
        let dir = TemporaryDirectory()
        let plain = cliRecording([(.baseline, 1e9), (.baseline, 1.2e9), (.rps, 2e9), (.rps, 2.2e9)])
        let escaped = plain.map { $0.replacing("\"bps\":", with: "\"\\u0062ps\":").replacing("\"sample\"", with: "\"\\u0073ample\"") }
        let a = try steertop(["stats", dir.write("a.jsonl", plain.joined(separator: "\n") + "\n"), "--format", "json"], state: state, timeout: 60)
        let b = try steertop(["stats", dir.write("b.jsonl", escaped.joined(separator: "\n") + "\n"), "--format", "json"], state: state, timeout: 60)
        #expect(a.status == 0 && b.status == 0, "\(b.stderr)")
        #expect(a.stdout == b.stdout)
        #expect(!b.stderr.contains("skipped"), "\(b.stderr)")
    }

    @Test("negative bps, 1e400 and a run without replicas: each line named, and one summary line")
    func skippedLinesSummed() throws {
        let state = TestState()
        let dir = TemporaryDirectory()
        var lines = cliRecording([(.baseline, 1e9), (.baseline, 1.2e9), (.rps, 2e9), (.rps, 2.2e9)])
        lines.insert("{\"type\":\"stream_end\",\"t\":2,\"id\":\"x\",\"bps\":-5e9}", at: 3)           // line 4
        lines.insert("{\"type\":\"sample\",\"t\":2,\"mode\":\"rps\",\"total_bps\":1e400}", at: 5)   // line 6
        lines.append("{\"type\":\"run\",\"t\":99,\"event\":\"start\",\"run\":7,\"mode\":\"rps\"}")
        let path = dir.write("h.jsonl", lines.joined(separator: "\n") + "\n")
        let r = try steertop(["stats", path, "--format", "csv"], state: state, timeout: 60)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("\(path):4: negative bps (-5000000000.0) at byte"), "\(r.stderr)")
        #expect(r.stderr.contains("(key \"bps\")"))
        #expect(r.stderr.contains("\(path):6: number out of range (1e400)"), "\(r.stderr)")
        #expect(r.stderr.contains("\(path): skipped 3 lines: 1 stream_end record with negative bps (line 4), "
                                  + "1 sample with a number out of range (line 6), 1 run record without replicas (line \(lines.count))"), "\(r.stderr)")
        // The baseline's mean is not pulled down by the negative figure.
        #expect(!r.stdout.contains(",-"), "\(r.stdout)")
    }

    @Test("nothing to compute: one line with the reasons, a non-zero exit")
    func noCompleteRun() throws {
        let state = TestState()
        let dir = TemporaryDirectory()
        let lines = cliRecording([(.rps, 1e9)]).map { $0.contains("\"end\"") ? $0.replacing("\"event\":\"end\",", with: "") : $0 }
        let path = dir.write("n.jsonl", lines.joined(separator: "\n") + "\n")
        let r = try steertop(["stats", path], state: state, timeout: 60)
        expectOneLineFailure(r, containing: "no complete run in \(path): skipped 1 line: 1 run record without event (line \(lines.count))")
        #expect(r.stderr.contains("1 run without an end"), "\(r.stderr)")
    }

    @Test("replay of a recording whose samples are all refused says which lines and why")
    func replayNoSamplesSaysWhy() throws {
        let state = TestState()
        let dir = TemporaryDirectory()
        let header = cliRecording([])[0]
        let lines = [header,
                     "{\"type\":\"sample\",\"t\":1e308}",
                     "{\"type\":\"sample\",\"t\":2,\"cpu\":[{\"cpu\":9e18}]}",
                     "{\"type\":\"sample\",\"t\":\"NaN\"}",
                     "{\"type\":\"note\",\"t\":3,\"text\":\"x\"}"]
        let path = dir.write("r.jsonl", lines.joined(separator: "\n") + "\n")
        // replay needs a terminal: in tmux, as a person would run it.
        let pane = try TmuxPane(width: 400, height: 10, command: [steertopBinary, "replay", path],
                                environment: ["TERM=xterm-256color", "STEERTOP_STATE_DIR=\(state.path)"], directory: dir.path)
        #expect(pane.waitFor("holds no samples to replay (1 other records); skipped 3 lines: 1 sample with t out of range (line 2), "
                             + "1 sample with CPU ids out of range (line 3), 1 malformed JSON (line 4)"), "\(pane.text)")
    }

    @Test("two recordings concatenated: the runs of each kept to it, and a note")
    func concatenated() throws {
        let state = TestState()
        let dir = TemporaryDirectory()
        let a = cliRecording([(.baseline, 1e9), (.rps, 2e9)])
        let b = cliRecording([(.baseline, 3e9), (.rps, 3e9)], cpus: 4)
        let path = dir.write("cat.jsonl", (a + b).joined(separator: "\n") + "\n")
        let r = try steertop(["stats", path], state: state, timeout: 60)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("\(path) holds 2 recordings (headers at lines 1, \(a.count + 1))"), "\(r.stderr)")
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
