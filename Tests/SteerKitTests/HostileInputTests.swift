#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import SteerKit

// Reproducers of issue 12 ("Hostile input and long runs"): every file read is bounded and
// must be a regular file, text from files is escaped, restore checks a whole snapshot
// first, a failed append leaves whole lines.

@Suite("TerminalText: one visible convention for control characters")
struct TerminalTextTests {
    @Test func harmlessTextIsUnchanged() {
        #expect(TerminalText.escape("rps+ on eth1 · 4 pods ±") == "rps+ on eth1 · 4 pods ±")
        #expect(TerminalText.escape("a\nb\tc", keepLineBreaks: true) == "a\nb\tc")
    }

    @Test func controlsAreEscaped() {
        #expect(TerminalText.escape("\u{1b}[2J\u{1b}]0;pwned\u{07}") == "\\x1b[2J\\x1b]0;pwned\\x07")
        #expect(TerminalText.escape("a\nb\rc\0d\u{7f}") == "a\\x0ab\\x0dc\\x00d\\x7f")
        #expect(TerminalText.escape("x\u{9b}1m\u{85}") == "x\\u009b1m\\u0085")
        #expect(TerminalText.escape("\u{202e}txt.exe\u{2066}") == "\\u202etxt.exe\\u2066")
        #expect(TerminalText.escape("a\u{1b}b", keepLineBreaks: true) == "a\\x1bb")
    }

    @Test func lengthIsBounded() {
        let long = String(repeating: "x", count: 10_000_000)
        let out = TerminalText.escape(long, limit: 100)
        #expect(out.utf8.count < 130)
        #expect(out.hasSuffix("…(9999900 more bytes)"))
    }

    @Test func csvPerRFC4180() {
        #expect(TerminalText.csvField("rps+") == "rps+")
        #expect(TerminalText.csvField("a,b") == "\"a,b\"")
        #expect(TerminalText.csvField("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(TerminalText.csvField("a\nb") == "a\\x0ab")
    }

    @Test func markdownCells() {
        #expect(TerminalText.markdownCell("a|b") == "a\\|b")
        #expect(TerminalText.markdownCell("a\nb|") == "a\\x0ab\\|")
    }

    @Test("SteerError messages quote file text escaped and bounded")
    func errorsAreEscapedAndBounded() {
        let value = "\u{1b}[2J" + String(repeating: "f", count: 10_000_000)
        let text = SteerError.write(path: "/sys/x", value: value, errno: .invalidArgument).description
        #expect(!text.utf8.contains(0x1b))
        #expect(text.utf8.count < 300)
        #expect(!SteerError.invalid("bad \u{1b}]0;x\u{07}").description.utf8.contains(0x1b))
    }
}

/// Makes a FIFO in `dir`.
func makeFIFO(_ dir: TemporaryDirectory, _ name: String) -> String {
    let p = dir.file(name)
    #expect(mkfifo(p, 0o600) == 0)
    return p
}

/// Makes a sparse file of `size` bytes (no blocks on disk).
func makeSparse(_ dir: TemporaryDirectory, _ name: String, size: Int) -> String {
    let p = dir.file(name)
    let fd = open(p, O_WRONLY | O_CREAT, 0o600)
    #expect(fd >= 0)
    #expect(ftruncate(fd, off_t(size)) == 0)
    close(fd)
    return p
}

@Suite("Bounded reads: regular files only, never unbounded, never blocking")
struct BoundedReadTests {
    @Test("a FIFO, a device and a directory are refused at open without blocking")
    func notRegularRefused() throws {
        let dir = TemporaryDirectory()
        let fifo = makeFIFO(dir, "fifo")
        #expect(BoundedFile.read(fifo, limit: 100) == .failure(.notRegular("a FIFO (named pipe)")))
        #expect(BoundedFile.read("/dev/zero", limit: 100) == .failure(.notRegular("a character device")))
        #expect(BoundedFile.read(dir.path, limit: 100) == .failure(.notRegular("a directory")))
        #expect(LibC.readText(fifo) == .failure(.invalidArgument))
    }

    @Test("a 2 GB sparse file is refused before a byte is read; a file over its bound by one byte too")
    func tooLarge() throws {
        let dir = TemporaryDirectory()
        let big = makeSparse(dir, "big", size: 2 << 30)
        #expect(BoundedFile.read(big, limit: BoundedFile.Kind.snapshot.limit) == .failure(.tooLarge(BoundedFile.Kind.snapshot.limit)))
        let justOver = dir.write("over", String(repeating: "x", count: 101))
        #expect(BoundedFile.read(justOver, limit: 100) == .failure(.tooLarge(100)))
        #expect(BoundedFile.read(dir.write("fits", "abc"), limit: 100) == .success(Array("abc".utf8)))
        do {
            _ = try BoundedFile.text(big, kind: .theme)
            Issue.record("a 2 GB theme was read")
        } catch {
            #expect(error.description.contains("larger than 256 KiB, the bound for a theme"))
        }
    }

    @Test("Snapshot.load of /dev/zero, a FIFO and a sparse file: one line each naming the problem")
    func snapshotLoad() throws {
        let dir = TemporaryDirectory()
        let cases = [
            ("/dev/zero", "it is a character device, not a regular file"),
            (makeFIFO(dir, "fifo"), "it is a FIFO (named pipe), not a regular file"),
            (makeSparse(dir, "sparse", size: 2 << 30), "larger than 8 MiB, the bound for a snapshot"),
            (dir.path, "it is a directory"),
        ]
        for (path, expected) in cases {
            do {
                _ = try Snapshot.load(path)
                Issue.record("\(path) loaded")
            } catch {
                #expect(error.description.contains(expected), "\(error.description)")
                #expect(!error.description.contains("\n"))
            }
        }
    }

    @Test("recordings: a FIFO and a device are refused (stats and replay no longer block)")
    func recordingsRegularOnly() throws {
        let dir = TemporaryDirectory()
        let fifo = makeFIFO(dir, "r.jsonl")
        for path in [fifo, "/dev/zero", dir.path] {
            #expect(throws: SteerError.self) { try RecordingReader.read(path) }
            do { _ = try RunExtractor.recordings(in: path)[0] } catch {
                #expect(error.description.contains("not a regular file"), "\(error.description)")
            }
        }
    }
}

@Suite("restore checks the whole snapshot before its first write")
struct SnapshotCheckTests {
    func snapshot(_ entries: [(String, String)]) throws -> Snapshot {
        Snapshot(taken: "", target: "host", files: try entries.map { (path, value) in
            Snapshot.Entry(file: try SteeringFile(netns: "", path: path, isPod: false), value: value)
        })
    }

    @Test("rps_cpus: hex mask syntax and a width the CPU count allows")
    func masks() {
        for bad in [",,,,", "", "xyz", "1,,2", "123456789", "f f", "0x3", "-1"] {
            #expect(SnapshotCheck.problem(bad, knob: .rpsCPUs, possibleCPUs: 4) != nil, "\(bad)")
        }
        #expect(SnapshotCheck.problem("10", knob: .rpsCPUs, possibleCPUs: 4)?.contains("names CPU 4") == true)
        for good in ["0", "f", "00000000,0000000f", "F", "00000003"] {
            #expect(SnapshotCheck.problem(good, knob: .rpsCPUs, possibleCPUs: 4) == nil, "\(good)")
        }
        #expect(SnapshotCheck.problem("1,00000000", knob: .rpsCPUs, possibleCPUs: 64) == nil)
        #expect(SnapshotCheck.problem("1,00000000", knob: .rpsCPUs, possibleCPUs: 32) != nil)
    }

    @Test("flow counts: decimal within the kernel's range")
    func counts() {
        for bad in ["abc", "", "-1", "1e3", "ff", "2147483648", "99999999999"] {
            #expect(SnapshotCheck.problem(bad, knob: .rpsFlowCount, possibleCPUs: 4) != nil, "\(bad)")
        }
        #expect(SnapshotCheck.problem("2147483647", knob: .rpsFlowCount, possibleCPUs: 4) == nil)
        #expect(SnapshotCheck.problem("32768", knob: .sockFlowEntries, possibleCPUs: 4) == nil)
        #expect(SnapshotCheck.problem("536870913", knob: .sockFlowEntries, possibleCPUs: 4) != nil)
    }

    @Test("a bad second entry is found before anything is written, with its number")
    func badSecondEntry() throws {
        let s = try snapshot([("/sys/class/net/eth1/queues/rx-0/rps_cpus", "3"),
                              ("/sys/class/net/eth1/queues/rx-0/rps_flow_cnt", "abc")])
        let problems = SnapshotCheck.problems(s, possibleCPUs: 4)
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("entry 2 (") == true)
    }

    @Test("load: a wrong-typed field is an error, not ignored; a 10 MB value gives a short message")
    func loadTypes() throws {
        let dir = TemporaryDirectory()
        func file(_ pod: String, value: String = "\"3\"") -> String {
            dir.write("s.json", """
                {"format":"steertop-snapshot","version":1,"taken":"","target":"host","files":[\
                {"netns":"","path":"/sys/class/net/eth1/queues/rx-0/rps_cpus","pod":\(pod),"value":\(value)}]}
                """)
        }
        #expect(throws: SteerError.self) { try Snapshot.load(file("\"yes\"")) }
        #expect(throws: SteerError.self) { try Snapshot.load(file("false", value: "3")) }
        #expect(try Snapshot.load(file("false")).files.count == 1)
        let huge = "\"" + String(repeating: "z", count: 10_000_000) + "\""
        do {
            _ = try Snapshot.load(file("false", value: huge))
            Issue.record("a 10 MB value loaded")
        } catch {
            #expect(error.description.utf8.count < 400)
        }
    }
}

@Suite("A failed append leaves only whole lines", .serialized, .enabled(if: LibC.isRoot, "mounting a tmpfs needs root"))
struct FullDiskTests {
    @Test("record into a full 64 KiB tmpfs: the file ends with its last whole line, and the error says so")
    func fullTmpfs() throws {
        let dir = TemporaryDirectory()
        try Command.check(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir.path])
        defer { _ = try? Command.run(["umount", dir.path]) }
        let path = dir.file("full.jsonl")
        let writer = try RecordingWriter(creating: path, header: RecordingHeader(
            started: "2025-01-01T00:00:00Z", host: "h", kernel: "k", cpus: 2, intervalSeconds: 1, toolVersion: "t",
            argv: [], targets: RecordingTargets(node: "", ifaces: [], netns: [], podIfaces: [])))
        let ifaces = (0..<20).map { InterfaceSample(name: "cali\($0)", netns: "ns\($0)", rxBps: 1e9) }
        var failure: SteerError?
        for k in 0..<10_000 {
            do { try writer.write(.sample(Sample(t: Double(k), mode: "rps", ifaces: ifaces))) } catch {
                failure = error
                break
            }
        }
        writer.close()
        let error = try #require(failure)
        #expect(error.description.contains("No space left on device") || error.description.contains("no space"), "\(error.description)")
        #expect(error.description.contains("cut back to its last complete line"))
        let bytes = try #require(try? BoundedFile.read(path, limit: 1 << 20).get())
        #expect(bytes.last == 0x0a)
        let contents = try RecordingReader.read(path)
        #expect(contents.problems.isEmpty)
        #expect(!contents.truncatedLastLine)
        #expect(contents.records.count == writer.lines - 1)
    }
}

// MARK: - issue 12 items 5 and 6: stats changes no number without a word; replay and stats agree

/// A recording of `runs` complete runs (each 3 samples and one stream_end per replica),
/// as lines without newlines; `edit` may change any line before it is written.
func hostileRecording(runs: [(mode: Mode, replicas: Int, bps: Double)], cpus: Int = 2, t0: Double = 0) -> [String] {
    func line(_ r: Record) -> String { String(RecordCodec.line(r).dropLast()) }
    var lines = [line(.header(RecordingHeader(
        started: "2025-01-01T00:00:00Z", host: "h", kernel: "k", cpus: cpus, intervalSeconds: 1, toolVersion: "t",
        argv: [], targets: RecordingTargets(node: "", ifaces: [], netns: [], podIfaces: []))))]
    var t = t0
    for (k, run) in runs.enumerated() {
        lines.append(line(.run(RunMark(t: t, event: .start, run: k + 1, mode: .mode(run.mode), replicas: run.replicas))))
        for _ in 0..<3 {
            t += 1
            let cpuList = (0..<cpus).map { CPUUsage(cpu: $0, usr: 1, nice: 0, sys: 1, iowait: 0, irq: 0, soft: 5, steal: 0, guest: 0, gnice: 0, idle: 90) }
            lines.append(line(.sample(Sample(t: t, mode: .mode(run.mode), cpus: cpuList,
                                             streams: [StreamRate(id: "s", bps: run.bps)], totalBps: run.bps * Double(run.replicas)))))
        }
        for r in 0..<run.replicas {
            lines.append(line(.streamEnd(StreamEnd(t: t, id: "s\(r)", bps: run.bps, bytes: run.bps * 3 / 8, seconds: 3))))
        }
        lines.append(line(.run(RunMark(t: t, event: .end, run: k + 1, mode: .mode(run.mode), replicas: run.replicas, complete: true))))
        t += 1
    }
    return lines
}

/// Both readers' verdict on one line: nil when taken, else the error.
func verdicts(_ text: String) -> (replay: JSONError?, stats: JSONError?) {
    var copy = text
    return copy.withUTF8 { p in
        let raw = UnsafeRawBufferPointer(p)
        var replay: JSONError?, stats: JSONError?
        do throws(JSONError) { _ = try RecordCodec.decode(raw) } catch { replay = error }
        var fields = LineFields()
        do throws(JSONError) { try fields.read(raw, streamIDs: true) } catch { stats = error }
        return (replay, stats)
    }
}

@Suite("Recording lines: one definition of validity for replay and stats (RecordRules)")
struct RecordRulesTests {
    static let good = hostileRecording(runs: [(.baseline, 2, 1e9), (.rps, 2, 2e9)])

    /// Hostile lines and whether they are valid, each with the key a refusal must name.
    static let cases: [(line: String, valid: Bool, key: String?)] = [
        // escapes in keys and in the type's value are the same names
        ("{\"type\":\"stream_end\",\"t\":3,\"id\":\"s0\",\"\\u0062ps\":1e9}", true, nil),
        ("{\"type\":\"\\u0073ample\",\"t\":3,\"mode\":\"rps\"}", true, nil),
        ("{\"\\u0074ype\":\"sample\",\"\\u0074\":3}", true, nil),
        // out-of-range numbers
        ("{\"type\":\"sample\",\"t\":3,\"total_bps\":1e400}", false, "total_bps"),
        ("{\"type\":\"sample\",\"t\":3,\"total_bps\":" + String(repeating: "9", count: 5000) + "}", false, "total_bps"),
        ("{\"type\":\"stream_end\",\"t\":3,\"id\":\"s\",\"bps\":1e400}", false, "bps"),
        ("{\"type\":\"sample\",\"t\":1e308}", false, "t"),
        ("{\"type\":\"run\",\"t\":1e308,\"event\":\"start\",\"run\":1,\"mode\":\"rps\",\"replicas\":1}", false, "t"),
        ("{\"type\":\"sample\",\"t\":3,\"cpu\":[{\"cpu\":9e18,\"idle\":5}]}", false, "cpu"),
        ("{\"type\":\"sample\",\"t\":3,\"softnet\":[{\"cpu\":9e18}]}", false, "cpu"),
        ("{\"type\":\"sample\",\"t\":3,\"cpu\":[{\"cpu\":1.5}]}", false, "cpu"),
        // negative rates
        ("{\"type\":\"stream_end\",\"t\":3,\"id\":\"s\",\"bps\":-5e8}", false, "bps"),
        ("{\"type\":\"sample\",\"t\":3,\"total_bps\":-1}", false, "total_bps"),
        ("{\"type\":\"sample\",\"t\":3,\"streams\":[{\"id\":\"s\",\"bps\":-1}]}", false, "bps"),
        ("{\"type\":\"sample\",\"t\":3,\"ifaces\":[{\"name\":\"e\",\"netns\":\"\",\"rx_bps\":-1}]}", false, "rx_bps"),
        // NaN as text, and wrong types where the schema says what stands
        ("{\"type\":\"sample\",\"t\":\"NaN\"}", false, "t"),
        ("{\"type\":\"sample\",\"t\":NaN}", false, "t"),
        ("{\"type\":\"sample\",\"t\":3,\"cpu\":[{\"cpu\":0,\"usr\":\"NaN\"}]}", false, "usr"),
        ("{\"type\":\"sample\",\"t\":3,\"ifaces\":[{\"name\":5}]}", false, "name"),
        // keys as steertop writes them (matched as bytes), in another order, with spaces, escaped
        ("{\"type\":\"sample\",\"t\":3,\"ifaces\":[{\"name\":\"e\",\"netns\":\"\",\"rx_bps\":1,\"queues\":[{\"queue\":0.5}]}]}", false, "queue"),
        ("{\"type\":\"sample\",\"t\":3,\"ifaces\":[{\"netns\":\"\",\"name\":7}]}", false, "name"),
        ("{\"type\":\"sample\",\"t\":3,\"ifaces\":[ { \"name\" : \"e\" , \"tx_bps\" : -3 } ]}", false, "tx_bps"),
        ("{\"type\":\"sample\",\"t\":3,\"ifaces\":[{\"name\":\"e\",\"\\u0072x_bps\":-3}]}", false, "rx_bps"),
        ("{\"type\":\"sample\",\"t\":3,\"cpu\":[{\"cpu\":0,\"usr\":1,\"nice\":0,\"sys\":-1}]}", false, "sys"),
        ("{\"type\":\"sample\",\"t\":3,\"cpu\":[{\"idle\":5,\"cpu\":1,\"usr\":\"x\"}]}", false, "usr"),
        ("{\"type\":\"sample\",\"t\":3,\"cpu\":[{\"cpu\":0,\"new\":\"x\",\"idle\":5}],\"ifaces\":[{\"name\":\"e\",\"new\":[],\"netns\":\"\"}]}", true, nil),
        ("{\"type\":\"sample\",\"t\":3,\"net_rx\":[\"x\"]}", false, "net_rx"),
        ("{\"type\":\"mode\",\"t\":3,\"ok\":\"yes\"}", false, "ok"),
        // null where the encoder writes null (a figure not measured) is fine, not elsewhere
        ("{\"type\":\"sample\",\"t\":3,\"cpu\":[{\"cpu\":0,\"usr\":null,\"idle\":null}],\"total_bps\":null}", true, nil),
        ("{\"type\":\"stream_end\",\"t\":3,\"id\":\"s\",\"bps\":null}", false, "bps"),
        // required keys
        ("{\"type\":\"run\",\"t\":1,\"run\":1,\"mode\":\"rps\",\"replicas\":1}", false, "event"),
        ("{\"type\":\"run\",\"t\":1,\"event\":\"start\",\"run\":1,\"mode\":\"rps\"}", false, "replicas"),
        ("{\"type\":\"run\",\"t\":1,\"event\":\"start\",\"run\":1,\"mode\":\"rps\",\"replicas\":0}", false, "replicas"),
        ("{\"type\":\"run\",\"t\":1,\"event\":\"pause\",\"run\":1,\"mode\":\"rps\",\"replicas\":1}", false, "event"),
        ("{\"type\":\"sample\",\"mode\":\"rps\"}", false, "t"),
        ("{\"type\":\"stream_end\",\"t\":1,\"bps\":1}", false, "id"),
        ("{\"t\":1}", false, nil),
        // unknown keys and types are skipped, whatever they hold
        ("{\"type\":\"sample\",\"t\":3,\"future\":[-1,\"x\",{\"a\":null}]}", true, nil),
        ("{\"type\":\"future\",\"t\":\"whenever\"}", true, nil),
        // "type" not first
        ("{\"t\":3,\"bps\":-1,\"id\":\"s\",\"type\":\"stream_end\"}", false, "bps"),
        ("{\"t\":3,\"type\":\"sample\"}", true, nil),
        // a header of another format (found by fuzz/run rules)
        ("{\"type\":\"header\",\"format\":\"steertop-recoindrg\",\"version\":1}", false, nil),
        // not JSON
        ("{\"type\":\"sample\",\"t\":3", false, nil),
        ("{\"type\":\"sample\",\"t\":3} trailing", false, nil),
    ]

    @Test("every hostile line: the same verdict from replay's decoder and stats' reader, naming the key")
    func sameVerdictPerLine() {
        for c in Self.cases {
            let (replay, stats) = verdicts(c.line)
            #expect((replay == nil) == c.valid, "replay: \(c.line.prefix(120)) → \(replay?.description ?? "taken")")
            #expect((stats == nil) == c.valid, "stats: \(c.line.prefix(120)) → \(stats?.description ?? "taken")")
            if let key = c.key {
                #expect(replay?.key == key, "replay: \(c.line.prefix(120)) → \(replay?.description ?? "taken")")
                #expect(stats?.key == key, "stats: \(c.line.prefix(120)) → \(stats?.description ?? "taken")")
            }
            #expect(replay?.category == stats?.category, "\(c.line.prefix(120))")
        }
        for line in Self.good { #expect(verdicts(line) == (nil, nil)) }
    }

    @Test("the same hostile file through replay's reader and stats' extractor: the same lines skipped, for the same reasons")
    func sameVerdictPerFile() throws {
        let dir = TemporaryDirectory()
        var lines = Self.good
        for c in Self.cases { lines.insert(c.line, at: lines.count - 1) }
        let path = dir.write("hostile.jsonl", lines.joined(separator: "\n") + "\n")
        let replay = try RecordingReader.read(path)
        let stats = try RunExtractor.recordings(in: path)
        #expect(stats.count == 1)
        #expect(replay.skipped == stats[0].skipped)
        let invalid = Self.cases.filter { !$0.valid }.count
        #expect(replay.skipped.lines == invalid)
        #expect(replay.skipped.summary?.hasPrefix("skipped \(invalid) lines: ") == true)
    }

    @Test("\\u0062ps is bps and \\u0073ample is sample: escaped keys change no number")
    func escapesHonoured() throws {
        let dir = TemporaryDirectory()
        let plain = hostileRecording(runs: [(.baseline, 1, 1e9), (.rps, 1, 2e9)])
        let escaped = plain.map {
            $0.replacing("\"bps\":", with: "\"\\u0062ps\":")
              .replacing("\"type\":\"sample\"", with: "\"type\":\"\\u0073ample\"")
              .replacing("\"idle\":", with: "\"id\\u006ce\":")
        }
        #expect(escaped != plain)
        let a = try StatsReport.load([dir.write("a.jsonl", plain.joined(separator: "\n") + "\n")])
        let b = try StatsReport.load([dir.write("b.jsonl", escaped.joined(separator: "\n") + "\n")])
        #expect(a.groups == b.groups)
        #expect(b.group(replicas: 1, mode: "rps")?.normalized?.mean == 2)
        #expect(b.group(replicas: 1, mode: "rps")?.cores.first?.idle?.mean == 90)
        #expect(b.notes.allSatisfy { !$0.contains("skipped") }, "\(b.notes)")
        let replay = try RecordingReader.read(dir.file("b.jsonl"))
        #expect(replay.skipped.isEmpty)
        #expect(replay.records.filter { if case .sample = $0 { return true } else { return false } }.count == 6)
    }

    @Test("1e400, a 5000-digit number, a negative bitrate, a run without replicas: each named by line and key, and summed up")
    func reportedNotDropped() throws {
        let dir = TemporaryDirectory()
        var lines = hostileRecording(runs: [(.baseline, 1, 1e9), (.rps, 1, 2e9), (.rps, 1, 2e9)])
        // line numbers are 1-based: lines[k] is line k + 1
        let endOfFirstRun = try #require(lines.firstIndex { $0.contains("\"event\":\"end\"") })
        lines[endOfFirstRun - 1] = lines[endOfFirstRun - 1].replacing("\"bps\":1000000000", with: "\"bps\":1e400")
        lines.insert("{\"type\":\"sample\",\"t\":2.5,\"mode\":\"baseline\",\"total_bps\":" + String(repeating: "7", count: 5000) + "}", at: 2)
        lines.insert("{\"type\":\"stream_end\",\"t\":9,\"id\":\"x\",\"bps\":-2e9}", at: 9)
        lines.insert("{\"type\":\"run\",\"t\":20,\"event\":\"start\",\"run\":9,\"mode\":\"rps\"}", at: lines.count)
        let path = dir.write("h.jsonl", lines.joined(separator: "\n") + "\n")
        let runs = try RunExtractor.recordings(in: path)[0]
        let byLine = Dictionary(uniqueKeysWithValues: runs.problems.map { ($0.line, $0.reason) })
        #expect(byLine[3]?.contains("number out of range (5000 characters)") == true, "\(byLine)")
        #expect(byLine[3]?.contains("(key \"total_bps\")") == true)
        #expect(byLine[10]?.contains("negative bps (-2000000000.0)") == true, "\(byLine)")
        #expect(byLine[endOfFirstRun + 1]?.contains("number out of range (1e400)") == true, "\(byLine)")
        #expect(byLine[lines.count]?.contains("run record without \"replicas\"") == true, "\(byLine)")
        let summary = try #require(runs.skipped.summary)
        #expect(summary.hasPrefix("skipped 4 lines: "))
        #expect(summary.contains("1 stream_end record with negative bps (line 10)"), "\(summary)")
        #expect(summary.contains("1 run record without replicas (line \(lines.count))"), "\(summary)")
        // No run took a value it should not have: no replicas 0, no negative mean.
        #expect(runs.runs.allSatisfy { $0.replicas == 1 && ($0.bitrate ?? 0) > 0 })
        let report = StatsReport([runs])
        #expect(report.notes.contains("\(path): \(summary)"))
    }

    @Test("two recordings concatenated: two recordings, runs kept apart, and said so")
    func concatenated() throws {
        let dir = TemporaryDirectory()
        let a = hostileRecording(runs: [(.baseline, 1, 1e9), (.rps, 1, 2e9)])
        // The second starts with an open run: it must not be ended by the first's records.
        var b = hostileRecording(runs: [(.baseline, 1, 3e9)], cpus: 4)
        b.insert("{\"type\":\"run\",\"t\":0,\"event\":\"start\",\"run\":1,\"mode\":\"rps\",\"replicas\":1}", at: 1)
        let path = dir.write("cat.jsonl", (a + b).joined(separator: "\n") + "\n")
        let recs = try RunExtractor.recordings(in: path)
        #expect(recs.count == 2)
        #expect(recs[0].runs.count == 2 && recs[1].runs.count == 1)
        #expect(recs[0].cpus == 2 && recs[1].cpus == 4)
        #expect(recs[1].path == "\(path) (recording 2, from line \(a.count + 1))")
        #expect(recs[1].unendedRuns == 1)
        let report = try StatsReport.load([path])
        #expect(report.notes.contains { $0.hasPrefix("\(path) holds 2 recordings (headers at lines 1, \(a.count + 1))") }, "\(report.notes)")
        let replay = try RecordingReader.read(path)
        #expect(replay.laterHeaders.map(\.line) == [a.count + 1])
    }

    @Test("no complete run: the reasons are in the one line")
    func noCompleteRunSaysWhy() throws {
        let dir = TemporaryDirectory()
        let lines = hostileRecording(runs: [(.rps, 1, 1e9)]).map {
            $0.contains("\"event\":\"end\"") ? $0.replacing("\"replicas\":1,", with: "") : $0
        } + ["{\"type\":\"sample\",\"t\":", "{\"type\":\"run\",\"t\":99,\"event\":\"start\",\"run\":2,\"mode\":\"rps\",\"replicas\":1}"]
        let path = dir.write("none.jsonl", lines.joined(separator: "\n") + "\n")
        do throws(SteerError) {
            _ = try StatsReport.load([path])
            Issue.record("a recording without a complete run gave a report")
        } catch {
            let text = error.description
            #expect(text.hasPrefix("no complete run in \(path): skipped 2 lines: 1 run record without replicas"), "\(text)")
            #expect(text.contains("1 malformed JSON"), "\(text)")
            #expect(text.contains("2 runs without an end"), "\(text)")
            #expect(!text.contains("\n"))
        }
    }
}

@Suite("Kernel files and resumed compressed recordings")
struct KernelFileAndResumeTests {
    @Test("a FIFO where a kernel file should be is refused at open, without blocking")
    func kernelFileFIFO() throws {
        let dir = TemporaryDirectory()
        let fifo = makeFIFO(dir, "stat")
        do {
            _ = try KernelFile(fifo)
            Issue.record("a FIFO was opened as a kernel file")
        } catch {
            #expect(error.description.contains("a FIFO (named pipe), not a regular file"), "\(error.description)")
        }
        #expect(throws: SteerError.self) { try KernelFile("/dev/zero") }
        // Real ones still open and read.
        let stat = try KernelFile("/proc/stat")
        #expect(try stat.read().count > 0)
    }

    @Test("appending to a compressed recording whose writer was killed mid-line: repaired, every whole line kept")
    func resumeCompressed() throws {
        let dir = TemporaryDirectory()
        for kind in [RecordingCompression.zstd, .gzip] {
            let path = dir.file("sweep.jsonl" + kind.suffix)
            let lines = hostileRecording(runs: [(.baseline, 1, 1e9)])
            // What a killed writer leaves: whole lines flushed, no frame end, half a line.
            let compressor = try LineCompressor(kind)
            var bytes: [UInt8] = []
            for l in lines { try Array((l + "\n").utf8).withUnsafeBytes { try compressor.compress($0, into: &bytes) } }
            var half: [UInt8] = []
            try Array("{\"type\":\"sample\",\"t\":99,\"mode\":\"rps\",\"cpu\":[{\"cpu\":0,".utf8).withUnsafeBytes { try compressor.compress($0, into: &half) }
            bytes += half.prefix(half.count / 2)
            _ = LibC.writeFileAtomically(path, String(decoding: [], as: UTF8.self))
            let fd = open(path, O_WRONLY | O_TRUNC)
            #expect(bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count)
            close(fd)

            let writer = try RecordingWriter(appendingTo: path)
            try writer.write(.note(Note(t: 50, text: "sweep resumed")))
            writer.close()
            let c = try RecordingReader.read(path)
            #expect(c.skipped.isEmpty, "\(kind): \(c.skipped.summary ?? "")")
            #expect(c.records.count == lines.count)  // the lines after the header, and the note
            if case .note(let n) = c.records.last { #expect(n.text == "sweep resumed") } else { Issue.record("\(kind): the note is not last") }
            #expect(LibC.listDirectory(dir.path).map { $0.filter { $0.contains(".tmp") } } == .success([]))
        }
    }
}
