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
