#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import SteerKit

/// The real iperf3 outputs next to this file (Fixtures/iperf3, see its README).
enum IperfFixture {
    static var directory: String {
        let file = "\(#filePath)"
        let folder = file.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        return folder + "/Fixtures/iperf3"
    }

    static let names = [
        "client-P1.txt", "server-P1.txt", "client-P4.txt", "server-P4.txt", "server-3tests.txt",
        "udp-client.txt", "udp-server.txt", "client-omit.txt", "client-fk.txt", "server-fm.txt",
        "client-json.json", "server-json.json", "error-refused.txt", "error-busy.txt",
        "json-stream-client.jsonl", "json-stream-error.jsonl",
    ]

    static func bytes(_ name: String) throws -> [UInt8] {
        let path = directory + "/" + name
        let fd = try LibC.open(path, O_RDONLY).mapError { SteerError.open(path: path, errno: $0) }.get()
        defer { LibC.close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = try chunk.withUnsafeMutableBytes { LibC.read(fd, $0) }
                .mapError { SteerError.read(path: path, errno: $0) }.get()
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
        }
    }

    static func events(_ name: String) throws -> [IperfEvent] {
        IperfParser.parse(try bytes(name))
    }

    static func tally(_ name: String) throws -> IperfTally {
        IperfTally(try events(name))
    }
}

/// Feeds `bytes` in chunks of `size` and finishes.
func parseInChunks(_ bytes: [UInt8], size: Int) -> [IperfEvent] {
    var parser = IperfParser()
    var events: [IperfEvent] = []
    bytes.withUnsafeBytes { all in
        var at = 0
        while at < all.count {
            let end = min(at + size, all.count)
            parser.feed(UnsafeRawBufferPointer(rebasing: all[at..<end]), into: &events)
            at = end
        }
    }
    parser.finish(into: &events)
    return events
}

let KiB = 1024.0, MiB = 1024.0 * 1024, GiB = 1024.0 * 1024 * 1024, TiB = GiB * 1024

func key(_ test: Int, _ id: Int) -> IperfStreamKey { IperfStreamKey(test: test, id: id) }

/// The events of a one-test output as they read when that test is the parser's `test`-th.
func renumbered(_ events: [IperfEvent], test: Int) -> [IperfEvent] {
    events.map { e in
        switch e {
        case .testStarted: return .testStarted(test: test)
        case .connected(let k, let c): return .connected(key(test, k.id), c)
        case .interval(let k, let f): return .interval(key(test, k.id), f)
        case .sum(_, let f): return .sum(test: test, f)
        case .summary(let k, let r, let f): return .summary(key(test, k.id), r, f)
        case .sumSummary(_, let r, let f): return .sumSummary(test: test, r, f)
        case .done: return .done(test: test)
        case .error(_, let m): return .error(test: test, message: m)
        case .listening, .unreadable: return e
        }
    }
}

@Suite("IperfParser: text output")
struct IperfTextTests {
    @Test func clientOneStream() throws {
        let events = try IperfFixture.events("client-P1.txt")
        let t = IperfTally(events)
        #expect(t.tests == [1])
        #expect(t.streams == [key(1, 5)])
        #expect(t.intervals[key(1, 5)] == 3)
        #expect(t.connections[key(1, 5)] == IperfConnection(localHost: "127.0.0.1", localPort: 51938,
                                                          remoteHost: "127.0.0.1", remotePort: 5201))
        // [  5]   0.00-1.00   sec  1.17 GBytes  10.0 Gbits/sec    0   1023 KBytes
        #expect(events.contains(.interval(key(1, 5), IperfFigure(start: 0, end: 1, bytes: 1.17 * GiB,
                                                                  bitsPerSecond: 10.0e9, retransmits: 0))))
        // [  5]   0.00-3.00   sec  2.63 GBytes  7.51 Gbits/sec    5             sender
        #expect(t.senders[key(1, 5)] == IperfFigure(start: 0, end: 3, bytes: 2.63 * GiB, bitsPerSecond: 7.51e9,
                                                    retransmits: 5))
        // [  5]   0.00-3.01   sec  2.63 GBytes  7.50 Gbits/sec                  receiver
        let receiver = try #require(t.final(key(1, 5)))
        #expect(receiver == IperfFigure(start: 0, end: 3.01, bytes: 2.63 * GiB, bitsPerSecond: 7.50e9))
        #expect(receiver.seconds == 3.01)
        #expect(t.done == [1])
        #expect(t.errors.isEmpty && t.unreadable.isEmpty)
        #expect(events.first == .testStarted(test: 1))
        #expect(events.last == .done(test: 1))
        #expect(events.count == 8)
    }

    @Test func serverOneStream() throws {
        let t = try IperfFixture.tally("server-P1.txt")
        #expect(t.listening == [5201])
        #expect(t.tests == [1])
        #expect(t.streams == [key(1, 5)])
        #expect(t.intervals[key(1, 5)] == 3)
        #expect(t.connections[key(1, 5)]?.remotePort == 51938)
        #expect(t.senders.isEmpty)
        // The server's own receiver line matches the client's.
        #expect(t.final(key(1, 5)) == IperfFigure(start: 0, end: 3.01, bytes: 2.63 * GiB, bitsPerSecond: 7.50e9))
        // 733 MBytes  6.14 Gbits/sec: no Retr column on a receiving server.
        #expect(t.latest[key(1, 5)] == IperfFigure(start: 2, end: 3, bytes: 762 * MiB, bitsPerSecond: 6.39e9))
        #expect(t.done.isEmpty)
    }

    @Test func clientFourStreams() throws {
        let events = try IperfFixture.events("client-P4.txt")
        let t = IperfTally(events)
        #expect(t.tests == [1])
        #expect(t.streams == [key(1, 5), key(1, 7), key(1, 9), key(1, 12)])
        for s in t.streams { #expect(t.intervals[s] == 3) }
        #expect(t.sums[1] == 3)
        let expected: [(Int, Double, Double)] = [(5, 452, 1.26e9), (7, 451, 1.26e9), (9, 451, 1.26e9), (12, 448, 1.25e9)]
        for (id, mbytes, bps) in expected {
            #expect(t.receivers[key(1, id)] == IperfFigure(start: 0, end: 3.01, bytes: mbytes * MiB, bitsPerSecond: bps))
        }
        #expect(t.senders[key(1, 12)]?.retransmits == 22)
        // [SUM]   0.00-1.02   sec   469 MBytes  3.87 Gbits/sec   91
        #expect(events.contains(.sum(test: 1, IperfFigure(start: 0, end: 1.02, bytes: 469 * MiB, bitsPerSecond: 3.87e9,
                                                          retransmits: 91))))
        #expect(t.sumSenders[1] == IperfFigure(start: 0, end: 3.01, bytes: 1.76 * GiB, bitsPerSecond: 5.03e9, retransmits: 91))
        #expect(t.sumReceivers[1] == IperfFigure(start: 0, end: 3.01, bytes: 1.76 * GiB, bitsPerSecond: 5.03e9))
        #expect(t.done == [1])
    }

    @Test func serverFourStreams() throws {
        let t = try IperfFixture.tally("server-P4.txt")
        #expect(t.streams == [key(1, 5), key(1, 8), key(1, 11), key(1, 13)])
        // Three whole seconds and the 3.01-3.01 tail.
        for s in t.streams { #expect(t.intervals[s] == 4) }
        #expect(t.sums[1] == 4)
        #expect(t.latest[key(1, 11)] == IperfFigure(start: 3.01, end: 3.01, bytes: 640 * KiB, bitsPerSecond: 4.76e9))
        #expect(t.receivers[key(1, 13)] == IperfFigure(start: 0, end: 3.01, bytes: 448 * MiB, bitsPerSecond: 1.25e9))
        #expect(t.sumReceivers[1] == IperfFigure(start: 0, end: 3.01, bytes: 1.76 * GiB, bitsPerSecond: 5.03e9))
        #expect(t.receivers.count == 4)
    }

    @Test func serverAcrossThreeTests() throws {
        let t = try IperfFixture.tally("server-3tests.txt")
        #expect(t.listening == [5203, 5203, 5203, 5203])
        #expect(t.tests == [1, 2, 3])
        // "[  5]" in every test, but three different streams.
        #expect(t.streams == [key(1, 5), key(2, 5), key(2, 8), key(3, 5)])
        #expect(t.streams.map(\.description) == ["t1/5", "t2/5", "t2/8", "t3/5"])
        for s in t.streams { #expect(t.intervals[s] == 3) }
        #expect(t.final(key(1, 5)) == IperfFigure(start: 0, end: 2.02, bytes: 746 * MiB, bitsPerSecond: 3.10e9))
        #expect(t.final(key(2, 5)) == IperfFigure(start: 0, end: 2.04, bytes: 280 * MiB, bitsPerSecond: 1.15e9))
        #expect(t.final(key(2, 8)) == IperfFigure(start: 0, end: 2.04, bytes: 268 * MiB, bitsPerSecond: 1.10e9))
        #expect(t.final(key(3, 5)) == IperfFigure(start: 0, end: 2.01, bytes: 1.19 * GiB, bitsPerSecond: 5.11e9))
        #expect(t.sumReceivers == [2: IperfFigure(start: 0, end: 2.04, bytes: 548 * MiB, bitsPerSecond: 2.25e9)])
        #expect(t.connections[key(2, 8)]?.remotePort == 48992)
        // SIGTERM at the end, printed on stderr.
        #expect(t.errors == ["interrupt - the server has terminated"])
    }

    @Test func udp() throws {
        let client = try IperfFixture.events("udp-client.txt")
        // [  5]   1.00-2.00   sec  11.9 MBytes  99.9 Mbits/sec  381   ("Total Datagrams", not Retr)
        #expect(client.contains(.interval(key(1, 5), IperfFigure(start: 1, end: 2, bytes: 11.9 * MiB,
                                                                  bitsPerSecond: 99.9e6, datagrams: 381))))
        let c = IperfTally(client)
        #expect(c.intervals[key(1, 5)] == 3)
        #expect(c.senders[key(1, 5)] == IperfFigure(start: 0, end: 3, bytes: 35.8 * MiB, bitsPerSecond: 100e6,
                                                    jitterMilliseconds: 0, lostDatagrams: 0, datagrams: 1145))
        #expect(c.final(key(1, 5)) == IperfFigure(start: 0, end: 3, bytes: 35.8 * MiB, bitsPerSecond: 100e6,
                                                  jitterMilliseconds: 0.004, lostDatagrams: 0, datagrams: 1145))
        let server = try IperfFixture.events("udp-server.txt")
        #expect(server.contains(.interval(key(1, 5), IperfFigure(start: 0, end: 1, bytes: 11.9 * MiB,
                                                                  bitsPerSecond: 100e6, jitterMilliseconds: 0.003,
                                                                  lostDatagrams: 0, datagrams: 382))))
        let s = IperfTally(server)
        #expect(s.intervals[key(1, 5)] == 3)
        #expect(s.final(key(1, 5))?.datagrams == 1145)
    }

    @Test func omittedIntervalsAreFlaggedNotCounted() throws {
        let events = try IperfFixture.events("client-omit.txt")
        let t = IperfTally(events)
        #expect(t.omitted[key(1, 5)] == 1)
        #expect(t.intervals[key(1, 5)] == 3)
        // [  5]   0.00-1.00   sec   926 MBytes  7.75 Gbits/sec    1   2.37 MBytes       (omitted)
        let intervals = events.compactMap { e -> IperfFigure? in
            if case .interval(_, let f) = e { return f } else { return nil }
        }
        #expect(intervals.map(\.omitted) == [true, false, false, false])
        #expect(intervals[0] == IperfFigure(start: 0, end: 1, bytes: 926 * MiB, bitsPerSecond: 7.75e9, omitted: true,
                                            retransmits: 1))
        #expect(intervals[1] == IperfFigure(start: 0, end: 1, bytes: 1.05 * GiB, bitsPerSecond: 9.05e9, retransmits: 1))
        #expect(t.latest[key(1, 5)]?.start == 2)
        #expect(t.final(key(1, 5)) == IperfFigure(start: 0, end: 3, bytes: 4.65 * GiB, bitsPerSecond: 13.3e9))
    }

    @Test func fixedUnits() throws {
        // -f k: every rate in Kbits/sec (transfers stay adaptive).
        let k = try IperfFixture.tally("client-fk.txt")
        #expect(k.final(key(1, 5)) == IperfFigure(start: 0, end: 3, bytes: 4.62 * GiB, bitsPerSecond: 13_213_638e3))
        #expect(k.senders[key(1, 5)]?.bitsPerSecond == 13_229_335_000)
        #expect(k.intervals[key(1, 5)] == 3)
        // -f m on the server.
        let m = try IperfFixture.tally("server-fm.txt")
        #expect(m.final(key(1, 5)) == IperfFigure(start: 0, end: 3, bytes: 4.62 * GiB, bitsPerSecond: 13_214e6))
        #expect(m.latest[key(1, 5)] == IperfFigure(start: 3, end: 3, bytes: 640 * KiB, bitsPerSecond: 16_858e6))
    }

    @Test(arguments: [
        ("834 MBytes  6.99 Gbits/sec", 834 * MiB, 6.99e9),
        ("512 Bytes  4.10 Kbits/sec", 512.0, 4.10e3),
        ("1023 KBytes  8.38 Mbits/sec", 1023 * KiB, 8.38e6),
        ("2.63 GBytes  7.51 Gbits/sec", 2.63 * GiB, 7.51e9),
        ("1.50 TBytes  1.03 Tbits/sec", 1.50 * TiB, 1.03e12),
        ("0.00 Bytes  0.00 bits/sec", 0, 0),
        ("10.0 MBytes  123 bits/sec", 10 * MiB, 123),
        // -f K/M/G prints the rate in bytes per second, powers of 1024.
        ("100 MBytes  99.8 MBytes/sec", 100 * MiB, 99.8 * MiB * 8),
        ("1.00 GBytes  1.02 GBytes/sec", GiB, 1.02 * GiB * 8),
        ("64.0 KBytes  512 KBytes/sec", 64 * KiB, 512 * KiB * 8),
    ])
    func units(columns: String, bytes: Double, bitsPerSecond: Double) {
        let events = IperfParser.parse("[  5]   0.00-1.00   sec  \(columns)                  \n")
        #expect(events == [.testStarted(test: 1),
                           .interval(key(1, 5), IperfFigure(start: 0, end: 1, bytes: bytes, bitsPerSecond: bitsPerSecond))])
    }

    @Test func errors() throws {
        #expect(try IperfFixture.events("error-refused.txt")
            == [.error(test: 0, message: "unable to connect to server: Connection refused")])
        #expect(try IperfFixture.events("error-busy.txt")
            == [.error(test: 0, message: "the server is busy running a test. try again later")])
        // After "Connecting to host" the error belongs to that test.
        let events = IperfParser.parse("Connecting to host 10.0.0.2, port 5201\niperf3: error - control socket has closed unexpectedly\n")
        #expect(events == [.testStarted(test: 1), .error(test: 1, message: "control socket has closed unexpectedly")])
    }

    @Test func aParserKeepsCountingTests() throws {
        // Two client runs through one parser: the second run's stream 5 is t2/5.
        let run = try IperfFixture.bytes("client-P1.txt")
        let t = IperfTally(IperfParser.parse(run + run))
        #expect(t.tests == [1, 2])
        #expect(t.streams == [key(1, 5), key(2, 5)])
        #expect(t.final(key(2, 5)) == t.final(key(1, 5)))
        #expect(t.done == [1, 2])
    }

    @Test func bidirectionalTagsAndServerOutputBlock() {
        let text = """
        Connecting to host 10.0.0.2, port 5201
        [  5][TX-C]   0.00-1.00   sec  1.00 GBytes  8.59 Gbits/sec    0   1.00 MBytes
        [  7][RX-C]   0.00-1.00   sec   512 MBytes  4.29 Gbits/sec
        Server output:
        Accepted connection from 10.0.0.1, port 40420
        [  5] local 10.0.0.2 port 5201 connected to 10.0.0.1 port 40422
        [  5]   0.00-1.00   sec  1.00 GBytes  8.59 Gbits/sec
        iperf Done.

        """
        let events = IperfParser.parse(text)
        #expect(events == [
            .testStarted(test: 1),
            .interval(key(1, 5), IperfFigure(start: 0, end: 1, bytes: GiB, bitsPerSecond: 8.59e9, retransmits: 0)),
            .interval(key(1, 7), IperfFigure(start: 0, end: 1, bytes: 512 * MiB, bitsPerSecond: 4.29e9)),
            .done(test: 1),
        ])
    }

    @Test func crlfAndTabs() {
        let events = IperfParser.parse("[  5]\t0.00-1.00\tsec\t834 MBytes\t6.99 Gbits/sec\r\n")
        #expect(events.last == .interval(key(1, 5), IperfFigure(start: 0, end: 1, bytes: 834 * MiB, bitsPerSecond: 6.99e9)))
    }
}

@Suite("IperfParser: JSON output")
struct IperfJSONTests {
    @Test func clientDocument() throws {
        var parser = IperfParser()
        var events = parser.feed(try IperfFixture.bytes("client-json.json"))
        parser.finish(into: &events)
        #expect(parser.format == .json)
        let t = IperfTally(events)
        #expect(t.tests == [1])
        #expect(t.streams == [key(1, 5), key(1, 7)])
        #expect(t.intervals == [key(1, 5): 2, key(1, 7): 2])
        #expect(t.sums[1] == 2)
        #expect(t.connections[key(1, 7)] == IperfConnection(localHost: "127.0.0.1", localPort: 51318,
                                                          remoteHost: "127.0.0.1", remotePort: 5206))
        #expect(t.final(key(1, 5)) == IperfFigure(start: 0, end: 2.007377, bytes: 1_634_598_912,
                                                  bitsPerSecond: 6514367403.83097))
        #expect(t.final(key(1, 7))?.bytes == 1_605_763_072)
        #expect(t.senders[key(1, 5)]?.retransmits == 3)
        #expect(t.latest[key(1, 7)] == IperfFigure(start: 1.000112, end: 2.005279, bytes: 782_499_840,
                                                   bitsPerSecond: 6227819530.1137581, retransmits: 1))
        #expect(t.sumReceivers[1]?.bytes == 3_240_361_984)
        #expect(t.sumSenders[1]?.retransmits == 6)
        #expect(t.done == [1])
        #expect(t.errors.isEmpty && t.unreadable.isEmpty)
    }

    @Test func serverDocumentsPerTest() throws {
        let t = try IperfFixture.tally("server-json.json")
        // Two tests and the document iperf3 wrote when it was stopped.
        #expect(t.tests == [1, 2, 3])
        #expect(t.streams == [key(1, 5), key(1, 8), key(2, 5)])
        #expect(t.intervals == [key(1, 5): 3, key(1, 8): 3, key(2, 5): 3])
        // The server's receiver figures are the client's.
        #expect(t.receivers[key(1, 5)]?.bytes == 1_634_598_912)
        #expect(t.receivers[key(1, 8)] == IperfFigure(start: 0, end: 2.007377, bytes: 1_605_763_072,
                                                      bitsPerSecond: 6399447924.3311052))
        #expect(t.receivers[key(2, 5)] == IperfFigure(start: 0, end: 2.004967, bytes: 3_216_506_880,
                                                      bitsPerSecond: 12834153898.792349))
        #expect(t.senders[key(2, 5)]?.bytes == 0)
        #expect(t.done == [1, 2])
        #expect(t.errors == ["interrupt - the server has terminated"])
    }

    @Test func jsonStream() throws {
        var parser = IperfParser()
        var events = parser.feed(try IperfFixture.bytes("json-stream-client.jsonl"))
        parser.finish(into: &events)
        #expect(parser.format == .jsonStream)
        let t = IperfTally(events)
        #expect(t.tests == [1])
        #expect(t.streams == [key(1, 5), key(1, 7)])
        #expect(t.intervals == [key(1, 5): 2, key(1, 7): 2])
        #expect(t.connections[key(1, 5)] == IperfConnection(localHost: "10.0.0.1", localPort: 40422,
                                                          remoteHost: "10.0.0.2", remotePort: 5201))
        #expect(t.final(key(1, 5)) == IperfFigure(start: 0, end: 2.002351, bytes: 1_189_085_184,
                                                  bitsPerSecond: 4750748720.25))
        #expect(t.final(key(1, 7))?.bitsPerSecond == 4666880512.5)
        #expect(t.sumReceivers[1]?.bytes == 2_357_198_848)
        #expect(t.done == [1])
        // Events come as the lines do: nothing before the first newline.
        var incremental = IperfParser()
        let firstLine = Array(try IperfFixture.bytes("json-stream-client.jsonl").prefix { $0 != 0x0a })
        #expect(incremental.feed(firstLine).isEmpty)
        #expect(incremental.feed([0x0a]).first == .testStarted(test: 1))

        #expect(try IperfFixture.events("json-stream-error.jsonl") == [.error(test: 0, message:
            "unable to connect to server - server may have stopped running or use a different port, firewall issue, etc.: Connection refused")])
    }

    @Test func brokenDocumentsAreReportedAndSkipped() throws {
        let whole = try IperfFixture.bytes("client-json.json")
        // A document cut off in the middle, then a whole one.
        let cut = Array(whole.prefix(1500)) + [0x0a]
        let events = IperfParser.parse(cut + whole)
        #expect(events.first.map { if case .unreadable = $0 { true } else { false } } == true)
        // The cut document never became a test: the whole one is test 1.
        #expect(Array(events.dropFirst()) == IperfParser.parse(whole))
        // A --json-stream line of garbage between events.
        var stream = try IperfFixture.bytes("json-stream-client.jsonl")
        let second = stream.firstIndex(of: 0x0a)! + 1
        stream.insert(contentsOf: Array("{\"event\":\"interval\",\"data\":{\"streams\":[{\"socket\":5,\n".utf8), at: second)
        let t = IperfTally(IperfParser.parse(stream))
        #expect(t.unreadable.count == 1)
        #expect(t.intervals == [key(1, 5): 2, key(1, 7): 2])
        #expect(t.done == [1])
    }
}

@Suite("IperfParser: incremental and bad input")
struct IperfRobustnessTests {
    @Test(arguments: IperfFixture.names)
    func chunkSizesDoNotMatter(name: String) throws {
        let bytes = try IperfFixture.bytes(name)
        let whole = IperfParser.parse(bytes)
        #expect(!whole.isEmpty)
        #expect(parseInChunks(bytes, size: 1) == whole)
        #expect(parseInChunks(bytes, size: 7) == whole)
        #expect(parseInChunks(bytes, size: 4096) == whole)
    }

    @Test func partialLastLineWaitsForFinish() throws {
        var bytes = try IperfFixture.bytes("client-P1.txt")
        #expect(bytes.removeLast() == 0x0a)
        var parser = IperfParser()
        let fed = parser.feed(bytes)
        #expect(!fed.contains(.done(test: 1)))
        #expect(parser.finish() == [.done(test: 1)])
        #expect(parser.lines == 12)
    }

    @Test func megabyteLineIsDroppedAndLaterLinesParse() throws {
        let valid = try IperfFixture.bytes("client-P1.txt")
        // 1 MB that even looks like an interval line at first.
        var garbage = Array("[  5]   0.00-1.00   sec  ".utf8)
        garbage += [UInt8](repeating: 0x37, count: 1 << 20)
        let input = garbage + [0x0a] + valid

        for size in [65536, 4096, 7] {
            var parser = IperfParser()
            var events: [IperfEvent] = []
            var mostKept = 0
            input.withUnsafeBytes { all in
                var at = 0
                while at < all.count {
                    let end = min(at + size, all.count)
                    parser.feed(UnsafeRawBufferPointer(rebasing: all[at..<end]), into: &events)
                    mostKept = max(mostKept, parser.pending.count)
                    at = end
                }
            }
            parser.finish(into: &events)
            // It kept the long line's first 64 KB, no more.
            #expect(mostKept == parser.maxLineBytes)
            guard case .unreadable(let line, let reason)? = events.first else {
                Issue.record("expected the long line to be reported, got \(String(describing: events.first))")
                continue
            }
            #expect(line == 1)
            #expect(reason.contains("\(garbage.count) bytes"))
            #expect(Array(events.dropFirst()) == IperfParser.parse(valid))
        }
    }

    @Test func binaryGarbageDoesNotStopIt() throws {
        // Deterministic noise with newlines, NULs, brackets, digits and invalid UTF-8.
        var state: UInt64 = 0x9e3779b97f4a7c15
        var noise: [UInt8] = []
        let alphabet: [UInt8] = Array("[]{}0123456789.- secBytesbits/()\n\0\u{7f}".utf8) + [0xff, 0xfe, 0xc3, 0x80]
        for _ in 0..<300_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let r = Int(truncatingIfNeeded: state >> 33)
            noise.append(r % 3 == 0 ? UInt8(truncatingIfNeeded: r >> 8) : alphabet[(r >> 8) % alphabet.count])
        }
        noise[0] = 0x41  // text, not JSON
        let valid = try IperfFixture.bytes("client-P4.txt")
        for size in [1, 13, 65536] {
            let events = parseInChunks(noise + [0x0a] + valid, size: size)
            let t = IperfTally(events)
            let last = try #require(t.tests.last)
            // The real output's events come out whole at the end, as the parser's last test.
            let tail = renumbered(IperfParser.parse(valid), test: last)
            #expect(Array(events.suffix(tail.count)) == tail)
            #expect(t.streams(ofTest: last) == [key(last, 5), key(last, 7), key(last, 9), key(last, 12)])
            #expect(t.receivers[key(last, 12)] == IperfFigure(start: 0, end: 3.01, bytes: 448 * MiB, bitsPerSecond: 1.25e9))
        }
        // And binary noise in JSON mode.
        let json = try IperfFixture.bytes("json-stream-client.jsonl")
        var jsonNoise = noise
        jsonNoise[0] = 0x7b
        let t = IperfTally(parseInChunks(jsonNoise + [0x0a] + json, size: 4096))
        #expect(t.final(key(t.tests.last ?? 0, 7))?.bitsPerSecond == 4666880512.5)
    }

    @Test func invalidUTF8InAnError() {
        let events = IperfParser.parse([UInt8]("iperf3: error - bad ".utf8) + [0xff, 0xfe] + [UInt8](" bytes\n".utf8))
        #expect(events == [.error(test: 0, message: "bad \u{fffd}\u{fffd} bytes")])
    }

    @Test func documentsHaveALimit() throws {
        var parser = IperfParser(maxLineBytes: 1024, maxDocumentBytes: 2048)
        var events = parser.feed(try IperfFixture.bytes("client-json.json"))
        events += parser.feed(try IperfFixture.bytes("json-stream-error.jsonl"))
        parser.finish(into: &events)
        #expect(events.count == 2)
        #expect(events.first.map { if case .unreadable(_, let r) = $0 { r.contains("2048") } else { false } } == true)
        #expect(events.last == .error(test: 0, message:
            "unable to connect to server - server may have stopped running or use a different port, firewall issue, etc.: Connection refused"))
    }
}
