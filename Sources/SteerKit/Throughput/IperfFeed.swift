#if canImport(Glibc)
import Glibc
#endif

/// Per-stream throughput from iperf3 output, tick by tick: the `streams`, `total_bps` and
/// `stream_end` of the recording format. Sources are followed from their end (like
/// `tail -F -n0`): what they print from now on counts. A stream that stops reporting is
/// shown stale, then dropped with a note; a receiver summary ends it with a stream_end.
public final class IperfFeed: ThroughputFeed {
    /// One iperf3 output (a log, one pod's lines): its label prefixes the stream ids.
    final class Channel {
        let label: String
        var parser = IperfParser()
        var streams: [IperfStreamKey: StreamState] = [:]
        /// Each stream's socket as iperf3 printed it when it connected (before its first
        /// interval), so that traced flows can be named by stream.
        var connections: [IperfStreamKey: IperfConnection] = [:]
        var error: (message: String, since: Double)?
        var unreadable = 0
        init(label: String) { self.label = label }
    }

    struct StreamState {
        var bps: Double
        var firstSeen: Double
        var lastSeen: Double
    }

    /// A byte source and how its lines map to channels.
    final class Input {
        let source: ByteSource
        /// A single channel, or nil when lines carry a `[pod/NAME/CONTAINER] ` prefix
        /// (kubectl logs --prefix) that names the channel.
        let channel: Channel?
        var prefixed: [String: Channel] = [:]
        var partial: [UInt8] = []
        var problem: String?
        init(source: ByteSource, channel: Channel?) { self.source = source; self.channel = channel }
    }

    private var inputs: [Input] = []
    private var buffer: [UInt8] = []
    private var events: [IperfEvent] = []
    private var ended: Set<String> = []
    /// Seconds without a new interval after which a stream is shown stale.
    public var staleAfter = 3.5
    /// Seconds after which a stale stream is dropped (with a note).
    public var forgetAfter = 60.0
    /// Called on each poll to find new sources (the lab's logs of new pods).
    var discover: ((IperfFeed) -> Void)?
    private var polls = 0

    public init() {}

    /// Follows a file (a log iperf3 writes with --logfile or a shell redirect).
    public func follow(file path: String, label: String? = nil, fromEnd: Bool = true) {
        let channel = Channel(label: uniqueLabel(label ?? Self.label(forPath: path)))
        let source = FollowedFile(path: path, fromEnd: fromEnd)
        // A test already running when the log is joined printed its streams' sockets
        // before: look for them, so that its flows are named too.
        if fromEnd { channel.connections = Self.runningConnections(path, end: source.offset) }
        inputs.append(Input(source: source, channel: channel))
    }

    /// The sockets of the streams of the test still running at the end of a log: the
    /// "local … connected to …" lines of its last test, less streams whose receiver
    /// summary came. Keyed as the channel's parser numbers that test: joining at the end,
    /// it counts it as test 1. `end` is where the follower starts (what it reads is not
    /// read here too). Bounded reads: the last 256 KiB, then 4 and 16 MiB while the tail
    /// holds only intervals (a long test's start is further back).
    static func runningConnections(_ path: String, end: Int, tails: [Int] = [256 << 10, 4 << 20, 16 << 20]) -> [IperfStreamKey: IperfConnection] {
        guard end > 0, case .success(let fd) = LibC.open(path, O_RDONLY | O_NONBLOCK) else { return [:] }
        defer { LibC.close(fd) }
        guard case .success(let st) = LibC.fstat(fd), st.isRegular, Int(st.size) >= end else { return [:] }
        var events: [IperfEvent] = []
        for tail in tails {
            // One byte before the tail too: whether the tail starts a line.
            let start = max(0, end - tail - 1)
            var bytes = [UInt8](repeating: 0, count: end - start)
            let n = bytes.withUnsafeMutableBytes { b in (try? LibC.pread(fd, b, offset: start).get()) ?? 0 }
            bytes.removeSubrange(n...)
            // From a line's start: the rest of a cut line (or the newline before the tail) goes.
            if start > 0, let newline = bytes.firstIndex(of: 0x0a) { bytes.removeSubrange(...newline) }
            var parser = IperfParser()
            events.removeAll()
            bytes.withUnsafeBytes { parser.feed($0, into: &events) }
            // (Not .testStarted: the parser starts a test itself at a first interval.)
            let bounded = events.contains { e in
                switch e {
                case .connected, .done, .listening: return true
                default: return false
                }
            }
            if bounded || start == 0 { break }
        }
        var test = 0
        var running: [Int: IperfConnection] = [:]
        for event in events {
            switch event {
            case .testStarted(let t):
                test = t
                running = [:]
            case .connected(let key, let connection):
                if key.test != test { test = key.test; running = [:] }
                running[key.id] = connection
            case .summary(let key, .receiver, _):
                running[key.id] = nil
            case .done, .listening:
                running = [:]
            default:
                break
            }
        }
        return Dictionary(uniqueKeysWithValues: running.map { (IperfStreamKey(test: 1, id: $0.key), $0.value) })
    }

    /// Two logs named alike (a/server.log, b/server.log) must not share stream ids: the
    /// second is "server-2".
    func uniqueLabel(_ wanted: String) -> String {
        let taken = Set(inputs.compactMap { $0.channel?.label })
        guard taken.contains(wanted) else { return wanted }
        var n = 2
        while taken.contains("\(wanted)-\(n)") { n += 1 }
        return "\(wanted)-\(n)"
    }

    /// Follows any byte source as one channel.
    public func follow(_ source: ByteSource, label: String) {
        inputs.append(Input(source: source, channel: Channel(label: uniqueLabel(label))))
    }

    /// Follows a source whose lines are prefixed with the pod they come from
    /// (`kubectl logs --prefix`: "[pod/iperf3-server-7c9/iperf3] ").
    public func follow(prefixed source: ByteSource) {
        inputs.append(Input(source: source, channel: nil))
    }

    public var followedPaths: [String] { inputs.compactMap { ($0.source as? FollowedFile)?.path } }

    /// "pod1" for ".../steer-server-pod1.log", else the file name without its extension.
    static func label(forPath path: String) -> String {
        var name = String(path.split(separator: "/").last ?? Substring(path))
        if let dot = name.lastIndex(of: "."), dot != name.startIndex { name = String(name[..<dot]) }
        // The lab's logs: the pod's number is what tells streams apart.
        if name.hasPrefix("steer-server-"), name.dropFirst(13).hasPrefix("pod") { return String(name.dropFirst(13)) }
        return name
    }

    // MARK: polling

    public func poll(now: Double) -> ThroughputUpdate {
        polls += 1
        if polls % 5 == 1 { discover?(self) }
        var update = ThroughputUpdate()
        for input in inputs {
            buffer.removeAll(keepingCapacity: true)
            let problem = input.source.read(into: &buffer)
            input.problem = problem
            if let problem { update.problems.append(problem) }
            if input.source.restarted {
                input.source.restarted = false
                input.partial.removeAll()
            }
            guard !buffer.isEmpty else { continue }
            if let channel = input.channel {
                feed(channel, bytes: buffer, now: now, into: &update)
            } else {
                demultiplex(input, now: now, into: &update)
            }
        }
        for input in inputs {
            for channel in input.channel.map({ [$0] }) ?? input.prefixed.keys.sorted().compactMap({ input.prefixed[$0] }) {
                collect(channel, now: now, into: &update)
            }
        }
        return update
    }

    private func feed(_ channel: Channel, bytes: [UInt8], now: Double, into update: inout ThroughputUpdate) {
        events.removeAll(keepingCapacity: true)
        bytes.withUnsafeBytes { channel.parser.feed($0, into: &events) }
        for event in events {
            switch event {
            case .interval(let key, let figure) where !figure.omitted:
                if var s = channel.streams[key] {
                    s.bps = figure.bitsPerSecond
                    s.lastSeen = now
                    channel.streams[key] = s
                } else {
                    channel.streams[key] = StreamState(bps: figure.bitsPerSecond, firstSeen: now, lastSeen: now)
                }
                channel.error = nil
            case .connected(let key, let connection):
                channel.connections[key] = connection
            case .summary(let key, .receiver, let figure):
                let id = "\(channel.label)/\(key)"
                channel.streams[key] = nil
                channel.connections[key] = nil
                if !ended.contains(id) {
                    ended.insert(id)
                    update.ended.append(StreamEnd(t: now, id: id, bps: figure.bitsPerSecond, bytes: figure.bytes, seconds: figure.seconds))
                }
            case .testStarted:
                channel.error = nil
            case .error(_, let message):
                channel.error = (message, now)
                update.problems.append("iperf3 \(channel.label): \(message)")
            case .unreadable(let line, let reason):
                channel.unreadable += 1
                if channel.unreadable <= 3 { update.problems.append("iperf3 \(channel.label): line \(line): \(reason)") }
            default:
                break
            }
        }
    }

    /// Splits `[pod/NAME/CONTAINER] line` into per-pod channels.
    private func demultiplex(_ input: Input, now: Double, into update: inout ThroughputUpdate) {
        input.partial += buffer
        var start = 0
        var perChannel: [String: [UInt8]] = [:]
        let bytes = input.partial
        for i in bytes.indices where bytes[i] == 0x0a {
            var line = bytes[start...i]
            start = i + 1
            var label = "unprefixed"
            if line.first == 0x5b, let close = line.firstIndex(of: 0x5d) {
                let prefix = String(decoding: line[line.index(after: line.startIndex)..<close], as: UTF8.self)
                let parts = prefix.split(separator: "/")
                label = parts.count >= 2 ? String(parts[1]) : prefix
                line = line[line.index(after: close)...]
                if line.first == 0x20 { line = line.dropFirst() }
            }
            perChannel[label, default: []] += line
        }
        input.partial = start < bytes.count ? Array(bytes[start...]) : []
        if input.partial.count > 1 << 20 { input.partial.removeAll() }
        for (label, lines) in perChannel.sorted(by: { $0.key < $1.key }) {
            let channel = input.prefixed[label] ?? Channel(label: label)
            input.prefixed[label] = channel
            feed(channel, bytes: lines, now: now, into: &update)
        }
    }

    private func collect(_ channel: Channel, now: Double, into update: inout ThroughputUpdate) {
        for key in channel.streams.keys.sorted() {
            let s = channel.streams[key]!
            let id = "\(channel.label)/\(key)"
            let quiet = now - s.lastSeen
            if quiet > forgetAfter {
                channel.streams[key] = nil
                channel.connections[key] = nil
                update.problems.append("stream \(id) stopped reporting \(Int(quiet)) s ago; dropped")
                continue
            }
            var state: String? = quiet > staleAfter ? "stale" : nil
            if let error = channel.error, error.since >= s.firstSeen { state = "error: " + error.message }
            update.streams.append(StreamRate(id: id, bps: s.bps, state: state))
            if let c = channel.connections[key] { update.connections[id] = c }
        }
        // An error with no stream (could not connect, server busy) is shown as one.
        if let error = channel.error, channel.streams.isEmpty, now - error.since < forgetAfter {
            update.streams.append(StreamRate(id: channel.label, bps: 0, state: "error: " + error.message))
        }
    }
}

extension IperfFeed {
    /// The lab's iperf3 servers: every steer-server-pod*.log in the lab's log directory,
    /// found again as pods come and go; whichever steertop process started the traffic.
    public func followLab(state: StateDirectory = .resolve()) {
        discover = { feed in
            let dir = Lab.logDirectory(state)
            let have = Set(feed.followedPaths)
            let logs = ((try? LibC.listDirectory(dir).get()) ?? [])
                .filter { $0.hasPrefix("steer-server-pod") && $0.hasSuffix(".log") }.sorted(by: naturalOrder)
            // Logs there at the start hold earlier tests: follow them from their end. Logs
            // that appear later (a new lab) are new from their first byte.
            for name in logs where !have.contains(dir + "/" + name) {
                feed.follow(file: dir + "/" + name, fromEnd: feed.polls <= 1)
            }
        }
    }

    /// `kubectl logs -f --prefix` for the pods a label selector picks (their iperf3
    /// servers' output), started again when it stops (a pod restarted), with the gap noted.
    public func followKubectl(selector: String, namespace: String? = nil) throws(SteerError) {
        try Kubectl.checkSelector(selector)
        var base = ["kubectl", "logs", "-f", "--prefix", "--all-containers", "--max-log-requests", "64", "-l", selector]
        if let namespace {
            try Names.checkNamespace(namespace)
            base += ["-n", namespace]
        }
        let process = FollowedProcess(base + ["--tail", "0"])
        process.restartArguments = { gap in base + ["--since", "\(Int(gap.rounded(.up)) + 1)s"] }
        follow(prefixed: process)
    }
}
