#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Reads iperf3's output as it arrives, in text, `-J` or `--json-stream` form, and turns
/// it into `IperfEvent`s. It runs on the node being measured, so it works on bytes: lines
/// are found with memchr, numbers are read in place, and a String is made only for the
/// rare lines that carry text (errors, addresses).
///
/// Feed it whatever a read(2) returned; a line cut by a chunk boundary is kept until its
/// newline arrives, and `finish()` takes a last line without one. Bad input never stops
/// it: lines it does not know are skipped, and lines too long to keep are dropped and
/// reported as `.unreadable`.
public struct IperfParser: Sendable {
    /// The longest text line kept (a longer one is dropped and reported).
    public let maxLineBytes: Int
    /// The largest JSON document kept, and the longest line in JSON output.
    public let maxDocumentBytes: Int

    /// The format sniffed from the first non-blank line; nil until one arrived.
    public private(set) var format: IperfFormat?
    /// The current test: 0 before the first, then 1, 2, … as tests start.
    public private(set) var test = 0
    /// Lines seen so far (complete ones, and the last one after `finish()`).
    public private(set) var lines = 0

    /// The start of a line whose newline has not arrived yet (at most `lineLimit` bytes).
    var pending: [UInt8] = []
    /// That line's length so far, including bytes dropped beyond `lineLimit`.
    var pendingLength = 0
    /// The other half of the pending line buffer (swapped in while a line is parsed).
    var spare: [UInt8] = []

    /// The last `[ ID]` header named datagram columns (UDP): a lone number after the
    /// bitrate is then "Total Datagrams", not "Retr".
    var datagramColumns = false
    /// Inside the "Server output:" block of a client run with --get-server-output.
    var inServerOutput = false

    /// The JSON document being gathered (`-J` spreads one over many lines).
    var document: [UInt8] = []
    var inDocument = false
    var documentDepth = 0
    var documentInString = false
    var documentEscape = false
    var documentOverflow = false

    public init(maxLineBytes: Int = 64 * 1024, maxDocumentBytes: Int = BoundedFile.Kind.iperfDocument.limit) {
        self.maxLineBytes = max(maxLineBytes, 80)
        self.maxDocumentBytes = max(maxDocumentBytes, self.maxLineBytes)
    }

    /// The longest line kept: text lines are short, `--json-stream` puts a whole event
    /// (all streams of a test) on one line.
    var lineLimit: Int {
        switch format {
        case .json?, .jsonStream?: return maxDocumentBytes
        default: return maxLineBytes
        }
    }

    // MARK: feeding

    /// Parses the complete lines in `bytes` (with any line left over from earlier calls)
    /// and appends their events; keeps a trailing partial line for the next call.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, into events: inout [IperfEvent]) {
        guard let raw = bytes.baseAddress, bytes.count > 0 else { return }
        let base = raw.assumingMemoryBound(to: UInt8.self)
        let n = bytes.count
        var start = 0
        if pendingLength > 0 {
            guard let newline = memchr(raw, 0x0a, n) else {
                keep(base, n)
                return
            }
            let end = UnsafeRawPointer(newline) - raw
            keep(base, end)
            takePending(into: &events)
            start = end + 1
        }
        while start < n {
            guard let newline = memchr(raw + start, 0x0a, n - start) else { break }
            let end = UnsafeRawPointer(newline) - raw
            line(base + start, end - start, into: &events)
            start = end + 1
        }
        if start < n { keep(base + start, n - start) }
    }

    /// `feed(_:into:)` returning the events.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> [IperfEvent] {
        var events: [IperfEvent] = []
        feed(bytes, into: &events)
        return events
    }

    /// `feed(_:into:)` over an array, returning the events.
    public mutating func feed(_ bytes: [UInt8]) -> [IperfEvent] {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// Ends the input: parses a last line that has no newline and reports a JSON
    /// document that never closed. The parser can be fed again afterwards.
    public mutating func finish(into events: inout [IperfEvent]) {
        if pendingLength > 0 { takePending(into: &events) }
        if inDocument {
            events.append(.unreadable(line: lines, reason: "the JSON document ends before its closing brace"))
            resetDocument()
        }
    }

    /// `finish(into:)` returning the events.
    public mutating func finish() -> [IperfEvent] {
        var events: [IperfEvent] = []
        finish(into: &events)
        return events
    }

    /// All events of a complete output.
    public static func parse(_ bytes: [UInt8]) -> [IperfEvent] {
        var parser = IperfParser()
        var events = parser.feed(bytes)
        parser.finish(into: &events)
        return events
    }

    /// All events of a complete output given as text.
    public static func parse(_ text: String) -> [IperfEvent] { parse(Array(text.utf8)) }

    /// Keeps the start of a line until its newline arrives; past `lineLimit` the bytes
    /// are only counted.
    mutating func keep(_ p: UnsafePointer<UInt8>, _ n: Int) {
        let room = lineLimit - pending.count
        if room > 0 { pending.append(contentsOf: UnsafeBufferPointer(start: p, count: min(n, room))) }
        pendingLength += n
    }

    /// Parses the pending line now that its newline (or the end of input) arrived.
    mutating func takePending(into events: inout [IperfEvent]) {
        let length = pendingLength
        pendingLength = 0
        if length > pending.count {
            pending.removeAll(keepingCapacity: pending.capacity <= Self.keptCapacity)
            overlong(length, into: &events)
            return
        }
        var taken: [UInt8] = []
        swap(&taken, &pending)
        swap(&pending, &spare)
        taken.withUnsafeBufferPointer { line($0.baseAddress!, $0.count, into: &events) }
        taken.removeAll(keepingCapacity: taken.capacity <= Self.keptCapacity)
        swap(&spare, &taken)
    }

    /// Buffers up to this size are reused; a larger one (left by a huge JSON line) is freed.
    static let keptCapacity = 128 * 1024

    mutating func overlong(_ length: Int, into events: inout [IperfEvent]) {
        lines += 1
        events.append(.unreadable(line: lines, reason: "a line of \(length) bytes is longer than the \(lineLimit) kept; skipped"))
    }

    // MARK: lines

    /// One complete line, without its newline.
    @inline(__always)
    mutating func line(_ p: UnsafePointer<UInt8>, _ count: Int, into events: inout [IperfEvent]) {
        if count > lineLimit {
            overlong(count, into: &events)
            return
        }
        lines += 1
        var n = count
        if n > 0 && p[n - 1] == 0x0d { n -= 1 }
        switch format {
        case .text?:
            textLine(p, n, into: &events)
        case .json?, .jsonStream?:
            jsonLine(p, n, into: &events)
        case nil:
            sniff(p, n, into: &events)
        }
    }

    /// Decides the format from the first line that is not blank.
    mutating func sniff(_ p: UnsafePointer<UInt8>, _ n: Int, into events: inout [IperfEvent]) {
        var c = ByteScanner(UnsafeRawBufferPointer(start: p, count: n))
        c.skipBlanks()
        guard !c.atEnd else { return }
        if c.peek == 0x7b {
            c.index += 1
            c.skipBlanks()
            format = c.eat("\"event\"") ? .jsonStream : .json
            jsonLine(p, n, into: &events)
        } else {
            format = .text
            textLine(p, n, into: &events)
        }
    }

    /// One line of the human-readable output.
    @inline(__always)
    mutating func textLine(_ p: UnsafePointer<UInt8>, _ n: Int, into events: inout [IperfEvent]) {
        guard n > 0 else { return }
        var c = ByteScanner(UnsafeRawBufferPointer(start: p, count: n))
        switch p[0] {
        case 0x5b where !inServerOutput:  // "["
            streamLine(&c, into: &events)
        case 0x43:  // "C"
            if c.eat("Connecting to host ") {
                inServerOutput = false
                startTest(into: &events)
            }
        case 0x41 where !inServerOutput:  // "A"
            if c.eat("Accepted connection from ") { startTest(into: &events) }
        case 0x53:  // "S"
            if inServerOutput { return }
            if c.eat("Server listening on ") {
                if let port = c.integer() { events.append(.listening(port: port)) }
            } else if c.eat("Server output:") {
                inServerOutput = true
            }
        case 0x69:  // "i"
            if c.eat("iperf Done.") {
                inServerOutput = false
                events.append(.done(test: test))
            } else if c.eat("iperf3: ") {
                _ = c.eat("error - ")
                events.append(.error(test: test, message: c.rest()))
            }
        default:
            return
        }
    }

    /// A line that starts with "[": a stream's interval or summary, a `[SUM]`, a
    /// `[ ID]` column header or a stream's "local … connected to …".
    @inline(__always)
    mutating func streamLine(_ c: inout ByteScanner, into events: inout [IperfEvent]) {
        c.index = 1
        c.skipBlanks()
        let id: Int
        if c.peek &- 0x30 < 10 {
            guard let v = c.integer() else { return }
            id = v
        } else if c.eat("SUM") {
            id = -1
        } else {
            // UDP headers end "Total Datagrams" or "Jitter    Lost/Total Datagrams".
            if c.eat("ID]") { datagramColumns = c.endsWith("Datagrams", at: c.trimmedEnd) }
            return
        }
        guard c.eat(0x5d) else { return }
        if c.peek == 0x5b {
            // --bidir tags each stream with its direction: "[  5][TX-C]".
            c.skip(past: 0x5d)
        }
        c.skipBlanks()
        guard c.peek &- 0x30 < 10 else {
            if id >= 0 && c.eat("local ") { connected(id, &c, into: &events) }
            return
        }

        // "0.00-1.00   sec   834 MBytes  6.99 Gbits/sec" and the columns after it.
        guard let start = c.decimal(), c.eat(0x2d), let end = c.decimal() else { return }
        c.skipBlanks()
        guard c.eat("sec") else { return }
        c.skipBlanks()
        guard let amount = c.decimal() else { return }
        c.skipBlanks()
        guard let bytes = c.bytes(amount) else { return }
        c.skipBlanks()
        guard let rate = c.decimal() else { return }
        c.skipBlanks()
        guard let bitsPerSecond = c.bitsPerSecond(rate) else { return }

        // The last word says what the line is: "sender", "receiver", "(omitted)" or
        // nothing (an interval).
        let last = c.trimmedEnd
        var role: IperfRole?
        var omitted = false
        var columnsEnd = last
        if last > c.index {
            switch c.p[last - 1] {
            case 0x72:  // "r"
                if c.endsWith("receiver", at: last) {
                    role = .receiver
                    columnsEnd = last - 8
                } else if c.endsWith("sender", at: last) {
                    role = .sender
                    columnsEnd = last - 6
                }
            case 0x29:  // ")"
                if c.endsWith("(omitted)", at: last) {
                    omitted = true
                    columnsEnd = last - 9
                }
            default:
                break
            }
        }
        var figure = IperfFigure(start: start.value, end: end.value, bytes: bytes,
                                 bitsPerSecond: bitsPerSecond, omitted: omitted)
        columns(&c, until: columnsEnd, into: &figure)

        if test == 0 { startTest(into: &events) }
        if id >= 0 {
            let key = IperfStreamKey(test: test, id: id)
            if let role {
                events.append(.summary(key, role, figure))
            } else {
                events.append(.interval(key, figure))
            }
        } else if let role {
            events.append(.sumSummary(test: test, role, figure))
        } else {
            events.append(.sum(test: test, figure))
        }
    }

    /// The columns after the bitrate: TCP "Retr  Cwnd" (sender), UDP "Total Datagrams"
    /// (client intervals) or "Jitter  Lost/Total (x%)".
    @inline(__always)
    func columns(_ c: inout ByteScanner, until end: Int, into figure: inout IperfFigure) {
        c.skipBlanks()
        guard c.index < end, let first = c.decimal() else { return }
        c.skipBlanks()
        if c.eat("ms") {
            figure.jitterMilliseconds = first.value
            c.skipBlanks()
            if let lost = c.integer(), c.eat(0x2f), let total = c.integer() {
                figure.lostDatagrams = lost
                figure.datagrams = total
            }
        } else if first.scale == 0 {
            if datagramColumns {
                figure.datagrams = Int(first.digits)
            } else {
                figure.retransmits = Int(first.digits)
            }
        }
    }

    /// "[  5] local 10.0.0.1 port 5201 connected to 10.0.0.2 port 38162"
    mutating func connected(_ id: Int, _ c: inout ByteScanner, into events: inout [IperfEvent]) {
        let localHost = c.word()
        c.skipBlanks()
        guard c.eat("port "), let localPort = c.integer() else { return }
        c.skipBlanks()
        guard c.eat("connected to ") else { return }
        let remoteHost = c.word()
        c.skipBlanks()
        guard c.eat("port "), let remotePort = c.integer() else { return }
        if test == 0 { startTest(into: &events) }
        events.append(.connected(IperfStreamKey(test: test, id: id),
                                 IperfConnection(localHost: localHost, localPort: localPort,
                                                 remoteHost: remoteHost, remotePort: remotePort)))
    }

    mutating func startTest(into events: inout [IperfEvent]) {
        test += 1
        datagramColumns = false
        events.append(.testStarted(test: test))
    }

    // MARK: JSON

    /// One line of `-J` or `--json-stream` output: part of a document, the start of one,
    /// or a text line between documents (an error iperf3 printed on stderr).
    mutating func jsonLine(_ p: UnsafePointer<UInt8>, _ n: Int, into events: inout [IperfEvent]) {
        var i = 0
        if inDocument && format == .json && n > 0 && p[0] != 0x7d && p[0] != 0x20 && p[0] != 0x09 {
            // iperf3 indents everything inside a document; a line flush left that is not
            // the closing brace means the document was cut off.
            events.append(.unreadable(line: lines - 1, reason: "the JSON document ends before its closing brace"))
            resetDocument()
        }
        var tookPart = inDocument
        while i < n {
            if !inDocument {
                while i < n, p[i] == 0x20 || p[i] == 0x09 { i += 1 }
                guard i < n else { return }
                guard p[i] == 0x7b else {
                    // Text between documents; after a document closed on this line, the
                    // rest of it is noise.
                    if !tookPart { textLine(p, n, into: &events) }
                    return
                }
                inDocument = true
                tookPart = true
                documentDepth = 0
            }
            // Scan to the brace that closes the document, or the end of the line.
            let from = i
            var closed = false
            while i < n {
                let b = p[i]
                i += 1
                if documentInString {
                    if documentEscape {
                        documentEscape = false
                    } else if b == 0x5c {
                        documentEscape = true
                    } else if b == 0x22 {
                        documentInString = false
                    }
                } else if b == 0x22 {
                    documentInString = true
                } else if b == 0x7b || b == 0x5b {
                    documentDepth += 1
                } else if b == 0x7d || b == 0x5d {
                    documentDepth -= 1
                    if documentDepth <= 0 {
                        closed = true
                        break
                    }
                }
            }
            appendToDocument(p + from, i - from)
            if closed {
                closeDocument(into: &events)
            } else {
                appendToDocument([0x0a], 1)
            }
        }
        if inDocument && format == .jsonStream {
            // --json-stream never breaks an object over lines.
            events.append(.unreadable(line: lines, reason: "a --json-stream line ends inside its JSON object"))
            resetDocument()
        }
    }

    mutating func appendToDocument(_ p: UnsafePointer<UInt8>, _ n: Int) {
        guard !documentOverflow else { return }
        if document.count + n > maxDocumentBytes {
            documentOverflow = true
            document.removeAll()
            return
        }
        document.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
    }

    mutating func closeDocument(into events: inout [IperfEvent]) {
        if documentOverflow {
            events.append(.unreadable(line: lines, reason: "a JSON document longer than \(maxDocumentBytes) bytes; skipped"))
        } else {
            var taken: [UInt8] = []
            swap(&taken, &document)
            let parsed = taken.withUnsafeBytes { raw in
                Result { () throws(JSONError) -> JSONValue in try JSONValue.parse(raw) }
            }
            switch parsed {
            case .success(let value): jsonDocument(value, into: &events)
            case .failure(let error):
                events.append(.unreadable(line: lines, reason: "invalid JSON: \(error)"))
            }
            taken.removeAll(keepingCapacity: true)
            swap(&taken, &document)
        }
        resetDocument()
    }

    mutating func resetDocument() {
        inDocument = false
        documentDepth = 0
        documentInString = false
        documentEscape = false
        documentOverflow = false
        document.removeAll(keepingCapacity: document.capacity <= 1 << 20)
    }

    /// A whole `-J` document, or one `--json-stream` event.
    mutating func jsonDocument(_ value: JSONValue, into events: inout [IperfEvent]) {
        guard value.members != nil else {
            events.append(.unreadable(line: lines, reason: "a JSON value that is not an object"))
            return
        }
        if let event = value["event"]?.string {
            let data = value["data"] ?? .null
            switch event {
            case "start":
                startTest(into: &events)
                jsonConnections(data, into: &events)
            case "interval":
                if test == 0 { startTest(into: &events) }
                jsonInterval(data, into: &events)
            case "end":
                if test == 0 { startTest(into: &events) }
                jsonEnd(data, into: &events)
                events.append(.done(test: test))
            case "error":
                events.append(.error(test: test, message: data.string ?? data.text))
            default:
                break  // server_output_json, server_output_text, and what later versions add
            }
            return
        }
        startTest(into: &events)
        if let start = value["start"] { jsonConnections(start, into: &events) }
        for interval in value["intervals"]?.array ?? [] { jsonInterval(interval, into: &events) }
        let end = value["end"] ?? .null
        if let members = end.members, !members.isEmpty { jsonEnd(end, into: &events) }
        if let error = value["error"] {
            events.append(.error(test: test, message: error.string ?? error.text))
        } else if let members = end.members, !members.isEmpty {
            events.append(.done(test: test))
        }
    }

    /// `start.connected`: one entry per stream.
    mutating func jsonConnections(_ start: JSONValue, into events: inout [IperfEvent]) {
        for c in start["connected"]?.array ?? [] {
            guard let socket = c["socket"]?.int else { continue }
            events.append(.connected(
                IperfStreamKey(test: test, id: socket),
                IperfConnection(localHost: c["local_host"]?.string ?? "", localPort: c["local_port"]?.int ?? 0,
                                remoteHost: c["remote_host"]?.string ?? "", remotePort: c["remote_port"]?.int ?? 0)))
        }
    }

    /// One element of `intervals` (or an `interval` event's data): `streams` and `sum`.
    mutating func jsonInterval(_ interval: JSONValue, into events: inout [IperfEvent]) {
        for s in interval["streams"]?.array ?? [] {
            guard let socket = s["socket"]?.int, let figure = Self.figure(s) else { continue }
            events.append(.interval(IperfStreamKey(test: test, id: socket), figure))
        }
        if let sum = interval["sum"], let figure = Self.figure(sum) {
            events.append(.sum(test: test, figure))
        }
    }

    /// `end`: per stream a `sender` and a `receiver` (TCP) or one `udp` entry, then the
    /// sums.
    mutating func jsonEnd(_ end: JSONValue, into events: inout [IperfEvent]) {
        for s in end["streams"]?.array ?? [] {
            for member in s.members ?? [] {
                let role: IperfRole
                switch member.key {
                case "sender": role = .sender
                case "receiver": role = .receiver
                case "udp": role = member.value["sender"]?.bool == false ? .receiver : .sender
                default: continue
                }
                guard let socket = member.value["socket"]?.int, let figure = Self.figure(member.value) else { continue }
                events.append(.summary(IperfStreamKey(test: test, id: socket), role, figure))
            }
        }
        for member in end.members ?? [] {
            let role: IperfRole
            switch member.key {
            case "sum_sent": role = .sender
            case "sum_received": role = .receiver
            case "sum": role = member.value["sender"]?.bool == false ? .receiver : .sender
            default: continue
            }
            if let figure = Self.figure(member.value) { events.append(.sumSummary(test: test, role, figure)) }
        }
    }

    static func figure(_ o: JSONValue) -> IperfFigure? {
        guard let start = o["start"]?.double, let end = o["end"]?.double, let bytes = o["bytes"]?.double,
              let bps = o["bits_per_second"]?.double else { return nil }
        return IperfFigure(start: start, end: end, bytes: bytes, bitsPerSecond: bps,
                           omitted: o["omitted"]?.bool ?? false, retransmits: o["retransmits"]?.int,
                           jitterMilliseconds: o["jitter_ms"]?.double, lostDatagrams: o["lost_packets"]?.int,
                           datagrams: o["packets"]?.int)
    }
}

/// A decimal as iperf3 prints it ("834", "6.99"): its digits as an integer and how many
/// of them follow the point, so that units scale it without rounding twice.
struct IperfDecimal {
    var digits: UInt64
    var scale: Int

    static let pow10: [Double] = (0...22).map { e in
        var v = 1.0
        for _ in 0..<e { v *= 10 }
        return v
    }

    /// The value, correctly rounded.
    @inline(__always)
    var value: Double { Double(digits) / Self.pow10[scale] }

    /// The value times 10^exponent, correctly rounded ("6.99" G = 699 * 10^7).
    @inline(__always)
    func times10(_ exponent: Int) -> Double {
        let e = exponent - scale
        return e >= 0 ? Double(digits) * Self.pow10[e] : Double(digits) / Self.pow10[-e]
    }

    /// The value times a power of two, correctly rounded ("2.63" GBytes = 263 * 2^30 / 100).
    @inline(__always)
    func times(powerOfTwo: Double) -> Double {
        Double(digits) * powerOfTwo / Self.pow10[scale]
    }
}

/// iperf3's numbers and units, read with the one byte cursor (`ByteScanner`) over a line
/// without its newline.
extension ByteScanner {
    /// An unsigned decimal with an optional fraction; nil if there is none or it has more
    /// than 18 digits.
    @inline(__always)
    mutating func decimal() -> IperfDecimal? {
        var v: UInt64 = 0
        var count = 0
        var scale = 0
        while index < n, case let d = p[index] &- 0x30, d < 10 {
            v = v &* 10 &+ UInt64(d)
            count += 1
            index += 1
        }
        if index < n && p[index] == 0x2e {
            index += 1
            while index < n, case let d = p[index] &- 0x30, d < 10 {
                v = v &* 10 &+ UInt64(d)
                count += 1
                scale += 1
                index += 1
            }
        }
        guard count > 0 && count <= 18 else { return nil }
        return IperfDecimal(digits: v, scale: scale)
    }

    /// The power of the unit prefix at the cursor: K 1, M 2, G 3, T 4, none 0.
    @inline(__always)
    mutating func prefix() -> Int {
        let k: Int
        switch peek {
        case 0x4b: k = 1
        case 0x4d: k = 2
        case 0x47: k = 3
        case 0x54: k = 4
        default: return 0
        }
        index += 1
        return k
    }

    static let powersOf1024: [Double] = [1, 1024, 1024 * 1024, 1024 * 1024 * 1024, 1024 * 1024 * 1024 * 1024]

    /// `amount` in bytes, from the unit at the cursor ("MBytes": 1024²).
    @inline(__always)
    mutating func bytes(_ amount: IperfDecimal) -> Double? {
        let k = prefix()
        guard eat("Bytes") else { return nil }
        return amount.times(powerOfTwo: Self.powersOf1024[k])
    }

    /// `rate` in bits per second, from the unit at the cursor: "Gbits/sec" (powers of
    /// 1000) or, with `-f K/M/G`, "MBytes/sec" (powers of 1024, eight bits each).
    @inline(__always)
    mutating func bitsPerSecond(_ rate: IperfDecimal) -> Double? {
        let k = prefix()
        if eat("bits/sec") { return rate.times10(3 * k) }
        if eat("Bytes/sec") { return rate.times(powerOfTwo: Self.powersOf1024[k] * 8) }
        return nil
    }
}
