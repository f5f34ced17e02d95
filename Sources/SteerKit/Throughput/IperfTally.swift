/// What a run of iperf3 output adds up to: its tests and streams, how many intervals each
/// stream reported (omitted ones kept apart), its latest rate and its final figures.
public struct IperfTally: Equatable, Sendable {
    /// Tests started, in order.
    public private(set) var tests: [Int] = []
    /// Streams in the order they first appeared (connected or reported).
    public private(set) var streams: [IperfStreamKey] = []
    /// Intervals counted per stream; `-O` warm-up intervals are not among them.
    public private(set) var intervals: [IperfStreamKey: Int] = [:]
    /// `-O` warm-up intervals per stream.
    public private(set) var omitted: [IperfStreamKey: Int] = [:]
    /// Each stream's last counted interval.
    public private(set) var latest: [IperfStreamKey: IperfFigure] = [:]
    /// Counted `[SUM]` intervals per test.
    public private(set) var sums: [Int: Int] = [:]
    public private(set) var connections: [IperfStreamKey: IperfConnection] = [:]
    public private(set) var senders: [IperfStreamKey: IperfFigure] = [:]
    public private(set) var receivers: [IperfStreamKey: IperfFigure] = [:]
    public private(set) var sumSenders: [Int: IperfFigure] = [:]
    public private(set) var sumReceivers: [Int: IperfFigure] = [:]
    /// Tests whose report iperf3 finished.
    public private(set) var done: [Int] = []
    public private(set) var errors: [String] = []
    public private(set) var unreadable: [String] = []
    public private(set) var listening: [Int] = []

    public init() {}

    public init(_ events: [IperfEvent]) {
        for e in events { add(e) }
    }

    public mutating func add(_ event: IperfEvent) {
        switch event {
        case .listening(let port):
            listening.append(port)
        case .testStarted(let test):
            tests.append(test)
        case .connected(let key, let connection):
            see(key)
            connections[key] = connection
        case .interval(let key, let figure):
            see(key)
            if figure.omitted {
                omitted[key, default: 0] += 1
            } else {
                intervals[key, default: 0] += 1
                latest[key] = figure
            }
        case .sum(let test, let figure):
            if !figure.omitted { sums[test, default: 0] += 1 }
        case .summary(let key, let role, let figure):
            see(key)
            switch role {
            case .sender: senders[key] = figure
            case .receiver: receivers[key] = figure
            }
        case .sumSummary(let test, let role, let figure):
            switch role {
            case .sender: sumSenders[test] = figure
            case .receiver: sumReceivers[test] = figure
            }
        case .done(let test):
            done.append(test)
        case .error(_, let message):
            errors.append(message)
        case .unreadable(_, let reason):
            unreadable.append(reason)
        }
    }

    var seen: Set<IperfStreamKey> = []

    mutating func see(_ key: IperfStreamKey) {
        if seen.insert(key).inserted { streams.append(key) }
    }

    /// A stream's final figure: its receiver's summary, or its sender's where the
    /// receiver's is not known (a server that sent, with -R).
    public func final(_ key: IperfStreamKey) -> IperfFigure? {
        receivers[key] ?? senders[key]
    }

    /// The streams of one test.
    public func streams(ofTest test: Int) -> [IperfStreamKey] {
        streams.filter { $0.test == test }
    }
}
