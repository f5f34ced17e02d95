import Testing
import SteerKit

#if canImport(Glibc)
import Glibc
#endif

func sampleFixture(t: Double = 1.5) -> Sample {
    Sample(
        t: t, mode: "rps+",
        cpus: [CPUUsage(cpu: 0, usr: 1.5, nice: 0, sys: 2.25, iowait: 0, irq: 0.5, soft: 12.75, steal: 0, idle: 83),
               CPUUsage(cpu: 2, usr: 0, nice: 0, sys: 0, iowait: 0, irq: 0, soft: 0, steal: 0, idle: 100)],
        netRX: [1200.5, 3], netTX: [4, 0],
        softnet: [SoftnetRates(cpu: 0, processed: 100, dropped: 1, timeSqueeze: 2, receivedRPS: 3, flowLimit: 0),
                  SoftnetRates(cpu: 2, processed: 0, dropped: 0, timeSqueeze: 0, receivedRPS: 0, flowLimit: 0)],
        ifaces: [InterfaceSample(name: "eth1", netns: "", rxBps: 9_310_000_000, txBps: 1000, rxPps: 810_000.5, txPps: 10,
                                 queues: [QueueState(queue: 0, rpsCPUs: "00000000,00000005", rpsFlowCount: 32768),
                                          QueueState(queue: 1, rpsCPUs: nil, rpsFlowCount: nil)]),
                 InterfaceSample(name: "eth0", netns: "cni-1234 \"quoted\"", queues: [])],
        sockFlowEntries: 32768,
        streams: [StreamRate(id: "pod1/t1/5", bps: 4_650_000_000), StreamRate(id: "pod2/t1/5", bps: 12, state: "stale")],
        totalBps: 4_650_000_000, missing: ["netns cni-9 vanished"])
}

@Suite struct JSONTests {
    @Test func fixedDecimalsDropTrailingZeros() {
        var b = JSONBuffer()
        b.beginArray()
        b.number(12.5, decimals: 2)
        b.number(100, decimals: 2)
        b.number(0.034, decimals: 2)
        b.number(-1.005, decimals: 1)
        b.number(.nan, decimals: 2)
        b.number(1e300, decimals: 0)
        b.number(33.333333, decimals: 3)
        b.endArray()
        #expect(String(decoding: b.bytes, as: UTF8.self) == "[12.5,100,0.03,-1,null,1e+300,33.333]")
    }

    @Test func nestedCommas() throws {
        var b = JSONBuffer()
        b.beginObject()
        b.key("a"); b.beginArray(); b.int(1); b.beginObject(); b.key("x"); b.null(); b.endObject(); b.endArray()
        b.key("b"); b.string("q\"\\\n\u{1}")
        b.endObject()
        let text = String(decoding: b.bytes, as: UTF8.self)
        #expect(text == #"{"a":[1,{"x":null}],"b":"q\"\\\n\u0001"}"#)
        #expect(try JSONValue.parse(text)["b"]?.string == "q\"\\\n\u{1}")
    }

    @Test func scannerIsStrict() {
        for bad in ["{\"a\":1 \"b\":2}", "{\"a\":}", "[1,]", "{\"a\":01}", "{\"a\":1", "\"abc", "{\"a\":tru}", "1.", "[1 2]", "{'a':1}"] {
            #expect(throws: JSONError.self, "\(bad)") { try JSONValue.parse(bad) }
        }
    }

    @Test func numbers() throws {
        let v = try JSONValue.parse("[0, -0.5, 1e3, 2.5E-2, 12345678901234567890, 0.1, 9007199254740993, 1.7976931348623157e308]")
        let xs = v.array!.map { $0.double! }
        #expect(xs[0] == 0 && xs[1] == -0.5 && xs[2] == 1000 && xs[3] == 0.025)
        #expect(xs[4] == 12345678901234567890.0)
        #expect(xs[5] == 0.1)
        #expect(xs[6] == 9007199254740992.0)  // correctly rounded
        #expect(xs[7] == Double.greatestFiniteMagnitude)
    }

    @Test func deepNestingIsRefusedNotACrash() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: JSONError.self) { try JSONValue.parse(deep) }
        #expect(throws: JSONError.self) { try RecordCodec.decode("{\"type\":\"note\",\"x\":" + deep) }
    }

    @Test func unicodeEscapes() throws {
        #expect(try JSONValue.parse(#""\u00e9\ud83d\ude00""#).string == "é😀")
    }
}

@Suite struct RecordCodecTests {
    @Test func sampleRoundTrips() throws {
        let s = sampleFixture()
        let line = RecordCodec.line(.sample(s))
        #expect(line.hasSuffix("}\n"))
        #expect(line.filter { $0 == "\n" }.count == 1)
        #expect(try RecordCodec.decode(String(line.dropLast())) == .sample(s))
    }

    /// A traced sample's stages and flows, the counts left out and why tracing is off all
    /// come back; an untraced sample writes none of these keys.
    @Test func traceKeysRoundTrip() throws {
        var s = sampleFixture()
        let plain = RecordCodec.line(.sample(s))
        for key in ["\"stages\"", "\"flows\"", "left_out", "trace_off"] { #expect(!plain.contains(key)) }
        s.stages = [StageRate(netns: "steer-server", device: "vxlan.calico", pps: [27300, 0.5])]
        s.flows = [FlowRate(netns: "steer-server-pod1", local: "10.66.2.11:5201", remote: "10.66.1.11:58000",
                            segments: [423300, 12.5], bps: 4_700_000_000, readerCPU: 0, reader: "iperf3", locality: 0.9999,
                            stream: "pod1/t1/5"),
                   FlowRate(netns: "", local: "[2001:db8:0:0:0:0:0:1]:80", remote: "[2001:db8:0:0:0:0:0:2]:4000",
                            segments: [0, 3], bps: 0)]
        s.stagesLeftOut = 2
        s.flowsLeftOut = 40
        #expect(try RecordCodec.decode(String(RecordCodec.line(.sample(s)).dropLast())) == .sample(s))
        var off = sampleFixture()
        off.traceOff = "tracing unavailable: kernel tracing needs root"
        #expect(try RecordCodec.decode(String(RecordCodec.line(.sample(off)).dropLast())) == .sample(off))
    }

    @Test func everyRecordRoundTrips() throws {
        let header = RecordingHeader(started: "2026-11-27T07:07:01.123Z", host: "node-2", kernel: "6.18.44", cpus: 96,
                                     intervalSeconds: 1, toolVersion: "0.1.0", argv: ["steertop", "record"],
                                     targets: RecordingTargets(node: "steer-server", ifaces: ["eth1", "cali*"], netns: ["steer-server-pod*"], podIfaces: []))
        let records: [Record] = [
            .header(header),
            .mode(ModeChange(t: 3.25, from: "baseline", to: "rfs", ok: false,
                             writes: [FileWrite(netns: "", path: "/proc/sys/net/core/rps_sock_flow_entries", before: "0", after: "32768")],
                             errors: ["cannot write"])),
            .run(RunMark(t: 4, event: .start, run: 3, mode: "rfs+", replicas: 16)),
            .run(RunMark(t: 34, event: .end, run: 3, mode: "rfs+", replicas: 16, complete: false)),
            .streamEnd(StreamEnd(t: 35.5, id: "pod1/t2/5", bps: 9_310_000_000, bytes: 34_900_000_000, seconds: 30.001)),
            .note(Note(t: 36, text: "ünïcode and \"quotes\"")),
        ]
        for r in records {
            let line = RecordCodec.line(r)
            #expect(try RecordCodec.decode(String(line.dropLast())) == r, "\(line)")
        }
        // The pods known at the start, for replay to name rows as the live view did.
        var named = header
        named.pods = ["steer-server-pod1": "steer-lab/iperf3-server-1", "cni-\"odd\"": "ns/p\u{1}"]
        named.veths = ["cali33846ab31dd": "steer-lab/iperf3-server-1"]
        let line = RecordCodec.line(.header(named))
        #expect(line.contains(#""veths":{"cali33846ab31dd":"steer-lab/iperf3-server-1"}"#), "\(line)")
        #expect(try RecordCodec.decode(String(line.dropLast())) == .header(named), "\(line)")
        #expect(!RecordCodec.line(.header(header)).contains("pods"))
    }

    /// What the format keeps (RecordSchema.Decimals): t and seconds to 3 decimals (ms),
    /// CPU percentages to 2, per-second rates to 1, bit rates and bytes to 0. A value read
    /// back is the written value rounded so, no closer; trailing zeros are not written.
    @Test func theRoundTripKeepsTheStatedPrecision() throws {
        var s = Sample(t: 1.23456, mode: "rfs")
        s.cpus = [CPUUsage(cpu: 0, usr: 12.3456, nice: 0, sys: 0.004, iowait: 0, irq: 0, soft: 7.126, steal: 0, idle: 80.5244)]
        s.netRX = [1234.56]
        s.netTX = [0.04]
        s.softnet = [SoftnetRates(cpu: 0, processed: 10.26, dropped: 0, timeSqueeze: 0, receivedRPS: 0, flowLimit: 0)]
        s.ifaces = [InterfaceSample(name: "eth1", netns: "", rxBps: 9_310_000_000.6, txBps: 0.4, rxPps: 1.06, txPps: 0)]
        s.streams = [StreamRate(id: "a", bps: 1.5)]
        s.totalBps = 2.5
        let line = RecordCodec.line(.sample(s))
        #expect(line.contains(#""t":1.235,"#))
        #expect(line.contains(#""usr":12.35,"#) && line.contains(#""sys":0,"#) && line.contains(#""idle":80.52}"#))
        #expect(line.contains(#""net_rx":[1234.6]"#) && line.contains(#""net_tx":[0]"#))
        #expect(line.contains(#""rx_bps":9310000001,"#) && line.contains(#""tx_bps":0,"#) && line.contains(#""rx_pps":1.1,"#))
        guard case .sample(let back) = try RecordCodec.decode(String(line.dropLast())) else {
            Issue.record("not a sample: \(line)")
            return
        }
        #expect(back.t == 1.235)
        #expect(back.cpus[0].usr == 12.35 && back.cpus[0].soft == 7.13 && back.cpus[0].idle == 80.52)
        #expect(back.netRX == [1234.6] && back.softnet[0].processed == 10.3)
        #expect(back.ifaces[0].rxBps == 9_310_000_001 && back.ifaces[0].rxPps == 1.1)
        #expect(back.mode == .mode(.rfs))
        // Written again, what was read gives the same line: the format is a fixed point.
        #expect(RecordCodec.line(.sample(back)) == line)
    }

    /// A real recording read and written again is the same file, byte for byte: the encoder
    /// and the decoder follow one schema.
    @Test func theExampleRecordingIsAFixedPoint() throws {
        let path = fixturesDirectory() + "/../../../recordings/example-lab-sweep.jsonl"
        guard case .success(let text) = LibC.readText(path) else {
            Issue.record("cannot read \(path)")
            return
        }
        var again = ""
        for line in text.split(separator: "\n") { again += RecordCodec.line(try RecordCodec.decode(String(line))) }
        #expect(again == text)
    }

    @Test func aWrongValueNamesItsKey() {
        do {
            _ = try RecordCodec.decode(#"{"type":"sample","t":1,"cpu":[{"cpu":0,"idle":"high"}]}"#)
            Issue.record("accepted")
        } catch {
            #expect(error.key == "idle")
            #expect(error.description == #"expected a number at byte 47 (key "idle")"#)
        }
        do {
            _ = try RecordCodec.decode(#"{"type":"run","t":1,"event":"middle"}"#)
            Issue.record("accepted")
        } catch {
            #expect(error.key == "event")
        }
    }

    @Test func modeNamesAreTyped() throws {
        #expect(ObservedMode(name: "rps+") == .mode(.rpsPlus))
        #expect(ObservedMode(name: "custom") == .custom && ObservedMode(name: "unknown") == .unknown)
        // A later version's mode is kept as written, not folded into custom.
        #expect(ObservedMode(name: "xdp") == .other("xdp"))
        #expect(ObservedMode(name: "RPS+") == .other("RPS+"), "the format's names are exact; aliases are for users")
        for m in Mode.allCases { #expect(ObservedMode(name: m.rawValue).name == m.rawValue) }
        #expect(StatsModes.order == Mode.allCases.map(\.rawValue))
    }

    @Test func readersIgnoreUnknownKeysAndTypes() throws {
        let r = try RecordCodec.decode(#"{"future":[1,{"x":2}],"type":"note","t":1,"text":"hi","extra":null}"#)
        #expect(r == .note(Note(t: 1, text: "hi")))
        #expect(try RecordCodec.decode(#"{"type":"hologram","t":1}"#) == .unknown(type: "hologram"))
        #expect(throws: JSONError.self) { try RecordCodec.decode(#"{"t":1}"#) }
        #expect(throws: JSONError.self) { try RecordCodec.decode(#"{"type":"run","event":"middle"}"#) }
    }
}

@Suite struct RecordingFileTests {
    func header() -> RecordingHeader {
        RecordingHeader(started: Timestamp.now(), host: "h", kernel: "k", cpus: 2, intervalSeconds: 1, toolVersion: "t",
                        argv: [], targets: RecordingTargets(node: "", ifaces: [], netns: [], podIfaces: []))
    }

    @Test func writerWritesWholeLinesAndNeverOverwrites() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("a.jsonl")
        let w = try RecordingWriter(creating: path, header: header())
        try w.write(.sample(sampleFixture(t: 1)))
        try w.write(.note(Note(t: 2, text: "x")))
        w.close()
        #expect(w.lines == 3)
        let contents = try RecordingReader.read(path)
        #expect(contents.records.count == 2)
        #expect(contents.problems.isEmpty)
        #expect(throws: SteerError.self) { try RecordingWriter(creating: path, header: header()) }
        #expect(throws: SteerError.self) { try RecordingWriter(creating: dir.file("missing/dir/x.jsonl"), header: header()) }
    }

    @Test func malformedLinesAreReportedByNumberAndTruncatedLastLineAccepted() throws {
        let dir = TemporaryDirectory()
        let good = RecordCodec.line(.header(header())) + RecordCodec.line(.note(Note(t: 1, text: "a")))
        let text = good + "{\"type\":\"note\",\"t\":2,\"te\n" + "\n" + RecordCodec.line(.note(Note(t: 3, text: "b")))
            + "{\"type\":\"hologram\"}\n" + "{\"type\":\"sample\",\"t\":4,\"cpu\":[{\"cpu\":0,\"id"
        let path = dir.write("b.jsonl", text)
        let c = try RecordingReader.read(path)
        #expect(c.records.count == 3)  // two notes and the unknown type
        #expect(c.unknownTypes == 1)
        #expect(c.problems.map(\.line) == [3])
        #expect(c.truncatedLastLine)
    }

    @Test func notARecording() throws {
        let dir = TemporaryDirectory()
        let p1 = dir.write("empty.jsonl", "")
        #expect(throws: SteerError.self) { try RecordingReader.read(p1) }
        let p2 = dir.write("other.jsonl", "{\"type\":\"note\",\"t\":1,\"text\":\"x\"}\n")
        #expect(throws: SteerError.self) { try RecordingReader.read(p2) }
        let p3 = dir.write("csv.txt", "a,b,c\n1,2,3\n")
        #expect(throws: SteerError.self) { try RecordingReader.read(p3) }
        #expect(throws: SteerError.self) { try RecordingReader.read(dir.file("nope.jsonl")) }
    }

    @Test func aFileWithoutLinesIsNotReadWhole() throws {
        // /dev/zero is not a regular file: refused at open (issue 12), never read.
        #expect {
            _ = try RecordingReader.read("/dev/zero")
        } throws: { error in
            "\(error)".contains("it is a character device, not a regular file")
        }
        // A 70 MB file without a newline: the reader gives up at the line bound with one line.
        let dir = TemporaryDirectory()
        let path = dir.file("zeros.jsonl")
        let fd = open(path, O_WRONLY | O_CREAT, 0o600)
        #expect(ftruncate(fd, 70 << 20) == 0)
        close(fd)
        #expect {
            _ = try RecordingReader.read(path)
        } throws: { error in
            "\(error)".contains("longer than 64 MiB, the bound for a recording line: not a recording")
        }
    }

    @Test func appendingAfterACrashStartsOnAFreshLine() throws {
        let dir = TemporaryDirectory()
        let path = dir.write("c.jsonl", RecordCodec.line(.header(header())) + "{\"type\":\"note\",\"t\":1,")
        let w = try RecordingWriter(appendingTo: path)
        try w.write(.note(Note(t: 5, text: "after")))
        w.close()
        let c = try RecordingReader.read(path)
        #expect(c.records == [.note(Note(t: 5, text: "after"))])
        #expect(c.problems.count == 1)
    }
}
