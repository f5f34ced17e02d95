/// One iperf3 stream, told apart across the tests a long-running server serves in a row:
/// iperf3 numbers streams afresh in every test, so "[  5]" of test 2 is another stream
/// than "[  5]" of test 1.
public struct IperfStreamKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The parser's own count of tests, from 1 (0 before any test was seen).
    public var test: Int
    /// iperf3's stream id: the number in brackets in text output, "socket" in JSON.
    public var id: Int

    public init(test: Int, id: Int) {
        self.test = test
        self.id = id
    }

    /// "t3/5": stream 5 of test 3.
    public var description: String { "t\(test)/\(id)" }

    public static func < (a: IperfStreamKey, b: IperfStreamKey) -> Bool {
        a.test != b.test ? a.test < b.test : a.id < b.id
    }
}

/// Which end of a stream a summary speaks for. The receiver's figure is the stream's
/// final one: bytes that arrived, not bytes that were written.
public enum IperfRole: String, Sendable {
    case sender, receiver
}

/// How iperf3 printed its report, as sniffed from the first non-blank bytes.
public enum IperfFormat: String, Sendable {
    /// Human-readable lines (the default, `--forceflush -i 1`).
    case text
    /// `-J`: one JSON document per test, pretty-printed over many lines.
    case json
    /// `--json-stream` (iperf3 3.17+): one JSON object per line, `{"event":…,"data":…}`.
    case jsonStream = "json-stream"
}

/// What iperf3 reported for one stream, or for the sum of a test's streams, over one
/// stretch of time: an interval line or a summary line.
public struct IperfFigure: Equatable, Sendable {
    /// Seconds since the test started.
    public var start: Double
    public var end: Double
    /// Bytes moved (text output rounds them to three digits: "834 MBytes").
    public var bytes: Double
    public var bitsPerSecond: Double
    /// An interval of the warm-up that `-O` leaves out of the results.
    public var omitted: Bool
    /// TCP sender: the "Retr" column.
    public var retransmits: Int?
    /// UDP receiver: the "Jitter" column.
    public var jitterMilliseconds: Double?
    /// UDP: the "Lost" of "Lost/Total Datagrams".
    public var lostDatagrams: Int?
    /// UDP: "Total Datagrams", or the "Total" of "Lost/Total".
    public var datagrams: Int?

    public init(start: Double, end: Double, bytes: Double, bitsPerSecond: Double, omitted: Bool = false,
                retransmits: Int? = nil, jitterMilliseconds: Double? = nil, lostDatagrams: Int? = nil,
                datagrams: Int? = nil) {
        self.start = start; self.end = end; self.bytes = bytes; self.bitsPerSecond = bitsPerSecond
        self.omitted = omitted; self.retransmits = retransmits; self.jitterMilliseconds = jitterMilliseconds
        self.lostDatagrams = lostDatagrams; self.datagrams = datagrams
    }

    /// The length of the stretch.
    public var seconds: Double { end - start }
}

/// Both ends of a stream's socket, as iperf3 printed them when the stream connected:
/// the four-tuple that RFS steers by.
public struct IperfConnection: Equatable, Sendable {
    public var localHost: String
    public var localPort: Int
    public var remoteHost: String
    public var remotePort: Int

    public init(localHost: String, localPort: Int, remoteHost: String, remotePort: Int) {
        self.localHost = localHost; self.localPort = localPort
        self.remoteHost = remoteHost; self.remotePort = remotePort
    }
}

/// One thing iperf3 said, in any of its output formats.
public enum IperfEvent: Equatable, Sendable {
    /// A server is waiting for a client ("Server listening on 5201").
    case listening(port: Int)
    /// A new test begins: "Connecting to host" (client), "Accepted connection from"
    /// (server), a new `-J` document or a `start` event. Tests are counted from 1.
    case testStarted(test: Int)
    /// A stream's socket is up.
    case connected(IperfStreamKey, IperfConnection)
    /// One stream over one reporting interval.
    case interval(IperfStreamKey, IperfFigure)
    /// The `[SUM]` of a test's streams over one reporting interval (with -P).
    case sum(test: Int, IperfFigure)
    /// One stream's figure for the whole test, as its sender or receiver saw it.
    case summary(IperfStreamKey, IperfRole, IperfFigure)
    /// The `[SUM]` of all streams for the whole test.
    case sumSummary(test: Int, IperfRole, IperfFigure)
    /// iperf3 finished the test's report ("iperf Done.", the end of a `-J` document, an
    /// `end` event). A server's text output has no such line: its receiver summaries
    /// close the test.
    case done(test: Int)
    /// iperf3 reported an error ("iperf3: error - …"); `message` is its reason.
    case error(test: Int, message: String)
    /// Input the parser could not use and dropped: a line longer than the parser keeps,
    /// a JSON document that does not parse. `line` counts lines from 1.
    case unreadable(line: Int, reason: String)
}
