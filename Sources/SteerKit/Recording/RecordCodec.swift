/// Format v1 (docs/recording-format.md): how each record is written as one JSON line and
/// read back. Readers ignore unknown keys and unknown types.
public enum RecordCodec {
    // MARK: writing

    /// Appends `record` as one line (with its newline) to `out`.
    public static func encode(_ record: Record, into out: inout JSONBuffer) {
        switch record {
        case .header(let h): encode(h, into: &out)
        case .sample(let s): encode(s, into: &out)
        case .mode(let m): encode(m, into: &out)
        case .run(let r): encode(r, into: &out)
        case .streamEnd(let e): encode(e, into: &out)
        case .note(let n): encode(n, into: &out)
        case .unknown(let type):
            out.beginObject()
            out.key("type"); out.string(type)
            out.endObject()
        }
        out.newline()
    }

    public static func line(_ record: Record) -> String {
        var out = JSONBuffer(capacity: 1024)
        encode(record, into: &out)
        return String(decoding: out.bytes, as: UTF8.self)
    }

    static func encode(_ h: RecordingHeader, into out: inout JSONBuffer) {
        out.beginObject()
        out.key("type"); out.string("header")
        out.key("format"); out.string(RecordingHeader.format)
        out.key("version"); out.int(h.version)
        out.key("started"); out.string(h.started)
        out.key("host"); out.string(h.host)
        out.key("kernel"); out.string(h.kernel)
        out.key("cpus"); out.int(h.cpus)
        out.key("interval_s"); out.number(h.intervalSeconds, decimals: 3)
        out.key("tool")
        out.beginObject()
        out.key("name"); out.string(h.toolName)
        out.key("version"); out.string(h.toolVersion)
        out.endObject()
        out.key("argv")
        out.beginArray()
        for a in h.argv { out.string(a) }
        out.endArray()
        out.key("targets")
        out.beginObject()
        out.key("node"); out.string(h.targets.node)
        out.key("ifaces"); stringArray(h.targets.ifaces, into: &out)
        out.key("netns"); stringArray(h.targets.netns, into: &out)
        out.key("pod_ifaces"); stringArray(h.targets.podIfaces, into: &out)
        out.endObject()
        out.endObject()
    }

    static func stringArray(_ items: [String], into out: inout JSONBuffer) {
        out.beginArray()
        for i in items { out.string(i) }
        out.endArray()
    }

    /// The hot path of the recorder: one sample, no allocation once the buffer is warm.
    public static func encode(_ s: Sample, into out: inout JSONBuffer) {
        out.beginObject()
        out.key("type"); out.string("sample")
        out.key("t"); out.number(s.t, decimals: 3)
        out.key("mode"); out.string(s.mode)
        out.key("cpu")
        out.beginArray()
        for c in s.cpus {
            out.beginObject()
            out.key("cpu"); out.int(c.cpu)
            out.key("usr"); out.number(c.usr, decimals: 2)
            out.key("nice"); out.number(c.nice, decimals: 2)
            out.key("sys"); out.number(c.sys, decimals: 2)
            out.key("iowait"); out.number(c.iowait, decimals: 2)
            out.key("irq"); out.number(c.irq, decimals: 2)
            out.key("soft"); out.number(c.soft, decimals: 2)
            out.key("steal"); out.number(c.steal, decimals: 2)
            out.key("guest"); out.number(c.guest, decimals: 2)
            out.key("gnice"); out.number(c.gnice, decimals: 2)
            out.key("idle"); out.number(c.idle, decimals: 2)
            out.endObject()
        }
        out.endArray()
        out.key("net_rx")
        out.beginArray()
        for v in s.netRX { out.number(v, decimals: 1) }
        out.endArray()
        out.key("net_tx")
        out.beginArray()
        for v in s.netTX { out.number(v, decimals: 1) }
        out.endArray()
        out.key("softnet")
        out.beginArray()
        for n in s.softnet {
            out.beginObject()
            out.key("cpu"); out.int(n.cpu)
            out.key("processed"); out.number(n.processed, decimals: 1)
            out.key("dropped"); out.number(n.dropped, decimals: 1)
            out.key("time_squeeze"); out.number(n.timeSqueeze, decimals: 1)
            out.key("received_rps"); out.number(n.receivedRPS, decimals: 1)
            out.key("flow_limit"); out.number(n.flowLimit, decimals: 1)
            out.endObject()
        }
        out.endArray()
        out.key("ifaces")
        out.beginArray()
        for i in s.ifaces {
            out.beginObject()
            out.key("name"); out.string(i.name)
            out.key("netns"); out.string(i.netns)
            out.key("rx_bps"); out.number(i.rxBps, decimals: 0)
            out.key("tx_bps"); out.number(i.txBps, decimals: 0)
            out.key("rx_pps"); out.number(i.rxPps, decimals: 1)
            out.key("tx_pps"); out.number(i.txPps, decimals: 1)
            out.key("queues")
            out.beginArray()
            for q in i.queues {
                out.beginObject()
                out.key("queue"); out.int(q.queue)
                out.key("rps_cpus"); out.stringOrNull(q.rpsCPUs)
                out.key("rps_flow_cnt"); out.intOrNull(q.rpsFlowCount)
                out.endObject()
            }
            out.endArray()
            out.endObject()
        }
        out.endArray()
        out.key("sock_flow_entries"); out.intOrNull(s.sockFlowEntries)
        out.key("streams")
        out.beginArray()
        for st in s.streams {
            out.beginObject()
            out.key("id"); out.string(st.id)
            out.key("bps"); out.number(st.bps, decimals: 0)
            if let state = st.state { out.key("state"); out.string(state) }
            out.endObject()
        }
        out.endArray()
        out.key("total_bps"); out.numberOrNull(s.totalBps, decimals: 0)
        if !s.missing.isEmpty {
            out.key("missing")
            stringArray(s.missing, into: &out)
        }
        out.endObject()
    }

    static func encode(_ m: ModeChange, into out: inout JSONBuffer) {
        out.beginObject()
        out.key("type"); out.string("mode")
        out.key("t"); out.number(m.t, decimals: 3)
        out.key("from"); out.string(m.from)
        out.key("to"); out.string(m.to)
        out.key("ok"); out.bool(m.ok)
        out.key("writes")
        out.beginArray()
        for w in m.writes {
            out.beginObject()
            out.key("netns"); out.string(w.netns)
            out.key("path"); out.string(w.path)
            out.key("before"); out.string(w.before)
            out.key("after"); out.string(w.after)
            out.endObject()
        }
        out.endArray()
        out.key("errors")
        stringArray(m.errors, into: &out)
        out.endObject()
    }

    static func encode(_ r: RunMark, into out: inout JSONBuffer) {
        out.beginObject()
        out.key("type"); out.string("run")
        out.key("t"); out.number(r.t, decimals: 3)
        out.key("event"); out.string(r.event.rawValue)
        out.key("run"); out.int(r.run)
        out.key("mode"); out.string(r.mode)
        out.key("replicas"); out.int(r.replicas)
        if let complete = r.complete { out.key("complete"); out.bool(complete) }
        out.endObject()
    }

    static func encode(_ e: StreamEnd, into out: inout JSONBuffer) {
        out.beginObject()
        out.key("type"); out.string("stream_end")
        out.key("t"); out.number(e.t, decimals: 3)
        out.key("id"); out.string(e.id)
        out.key("bps"); out.number(e.bps, decimals: 0)
        out.key("bytes"); out.number(e.bytes, decimals: 0)
        out.key("seconds"); out.number(e.seconds, decimals: 3)
        out.endObject()
    }

    static func encode(_ n: Note, into out: inout JSONBuffer) {
        out.beginObject()
        out.key("type"); out.string("note")
        out.key("t"); out.number(n.t, decimals: 3)
        out.key("text"); out.string(n.text)
        out.endObject()
    }

    // MARK: reading

    /// Reads one line (without its newline). Unknown keys are skipped; an unknown type
    /// gives `.unknown`; anything that is not a JSON object with a string "type" throws.
    public static func decode(_ line: UnsafeRawBufferPointer) throws(JSONError) -> Record {
        var s = JSONScanner(line)
        // "type" is written first, but a reader must not rely on key order: find it first.
        let type = try findType(line)
        let record: Record
        switch type {
        case "header": record = .header(try decodeHeader(&s))
        case "sample": record = .sample(try decodeSample(&s))
        case "mode": record = .mode(try decodeMode(&s))
        case "run": record = .run(try decodeRun(&s))
        case "stream_end": record = .streamEnd(try decodeStreamEnd(&s))
        case "note": record = .note(try decodeNote(&s))
        default:
            try s.skipValue()
            record = .unknown(type: type)
        }
        guard s.atEnd() else { throw s.fail("unexpected text after the record") }
        return record
    }

    public static func decode(_ line: String) throws(JSONError) -> Record {
        var copy = line
        return try copy.withUTF8 { p in
            Result { () throws(JSONError) -> Record in try decode(UnsafeRawBufferPointer(p)) }
        }.get()
    }

    /// The value of the top-level "type" key.
    public static func findType(_ line: UnsafeRawBufferPointer) throws(JSONError) -> String {
        var s = JSONScanner(line)
        try s.beginObject()
        var first = true
        while let key = try s.nextKey(&first) {
            if key == "type" { return try s.string() }
            try s.skipValue()
        }
        throw JSONError(offset: 0, reason: "not a recording line (no \"type\")")
    }

    static func decodeHeader(_ s: inout JSONScanner) throws(JSONError) -> RecordingHeader {
        var h = RecordingHeader(started: "", host: "", kernel: "", cpus: 0, intervalSeconds: 1, toolVersion: "",
                                argv: [], targets: RecordingTargets(node: "", ifaces: [], netns: [], podIfaces: []))
        var format = ""
        try s.beginObject()
        var first = true
        while let key = try s.nextKey(&first) {
            if key == "format" { format = try s.string() }
            else if key == "version" { h.version = try s.int() }
            else if key == "started" { h.started = try s.string() }
            else if key == "host" { h.host = try s.string() }
            else if key == "kernel" { h.kernel = try s.string() }
            else if key == "cpus" { h.cpus = try s.int() }
            else if key == "interval_s" { h.intervalSeconds = try s.double() }
            else if key == "tool" {
                try s.beginObject()
                var f = true
                while let k = try s.nextKey(&f) {
                    if k == "name" { h.toolName = try s.string() }
                    else if k == "version" { h.toolVersion = try s.string() }
                    else { try s.skipValue() }
                }
            } else if key == "argv" { h.argv = try stringArray(&s) }
            else if key == "targets" {
                try s.beginObject()
                var f = true
                while let k = try s.nextKey(&f) {
                    if k == "node" { h.targets.node = try s.string() }
                    else if k == "ifaces" { h.targets.ifaces = try stringArray(&s) }
                    else if k == "netns" { h.targets.netns = try stringArray(&s) }
                    else if k == "pod_ifaces" { h.targets.podIfaces = try stringArray(&s) }
                    else { try s.skipValue() }
                }
            } else { try s.skipValue() }
        }
        guard format == RecordingHeader.format else {
            throw JSONError(offset: 0, reason: "header of another format (\"\(format)\")")
        }
        return h
    }

    static func stringArray(_ s: inout JSONScanner) throws(JSONError) -> [String] {
        var out: [String] = []
        try s.beginArray()
        var first = true
        while try s.nextElement(&first) { out.append(try s.string()) }
        return out
    }

    static func doubleArray(_ s: inout JSONScanner) throws(JSONError) -> [Double] {
        var out: [Double] = []
        try s.beginArray()
        var first = true
        while try s.nextElement(&first) { out.append(try s.doubleOrNull() ?? 0) }
        return out
    }

    public static func decodeSample(_ s: inout JSONScanner) throws(JSONError) -> Sample {
        var sample = Sample()
        try s.beginObject()
        var first = true
        while let key = try s.nextKey(&first) {
            if key == "t" { sample.t = try s.double() }
            else if key == "mode" { sample.mode = try s.string() }
            else if key == "cpu" {
                try s.beginArray()
                var f = true
                while try s.nextElement(&f) {
                    var c = CPUUsage(cpu: 0)
                    try s.beginObject()
                    var g = true
                    while let k = try s.nextKey(&g) {
                        if k == "cpu" { c.cpu = try s.int() }
                        else if k == "usr" { c.usr = try s.double() }
                        else if k == "nice" { c.nice = try s.double() }
                        else if k == "sys" { c.sys = try s.double() }
                        else if k == "iowait" { c.iowait = try s.double() }
                        else if k == "irq" { c.irq = try s.double() }
                        else if k == "soft" { c.soft = try s.double() }
                        else if k == "steal" { c.steal = try s.double() }
                        else if k == "guest" { c.guest = try s.double() }
                        else if k == "gnice" { c.gnice = try s.double() }
                        else if k == "idle" { c.idle = try s.double() }
                        else { try s.skipValue() }
                    }
                    sample.cpus.append(c)
                }
            } else if key == "net_rx" { sample.netRX = try doubleArray(&s) }
            else if key == "net_tx" { sample.netTX = try doubleArray(&s) }
            else if key == "softnet" {
                try s.beginArray()
                var f = true
                while try s.nextElement(&f) {
                    var n = SoftnetRates(cpu: 0)
                    try s.beginObject()
                    var g = true
                    while let k = try s.nextKey(&g) {
                        if k == "cpu" { n.cpu = try s.int() }
                        else if k == "processed" { n.processed = try s.double() }
                        else if k == "dropped" { n.dropped = try s.double() }
                        else if k == "time_squeeze" { n.timeSqueeze = try s.double() }
                        else if k == "received_rps" { n.receivedRPS = try s.double() }
                        else if k == "flow_limit" { n.flowLimit = try s.double() }
                        else { try s.skipValue() }
                    }
                    sample.softnet.append(n)
                }
            } else if key == "ifaces" {
                try s.beginArray()
                var f = true
                while try s.nextElement(&f) { sample.ifaces.append(try decodeInterface(&s)) }
            } else if key == "sock_flow_entries" { sample.sockFlowEntries = try s.intOrNull() }
            else if key == "streams" {
                try s.beginArray()
                var f = true
                while try s.nextElement(&f) {
                    var st = StreamRate(id: "", bps: 0)
                    try s.beginObject()
                    var g = true
                    while let k = try s.nextKey(&g) {
                        if k == "id" { st.id = try s.string() }
                        else if k == "bps" { st.bps = try s.doubleOrNull() ?? 0 }
                        else if k == "state" { st.state = try s.stringOrNull() }
                        else { try s.skipValue() }
                    }
                    sample.streams.append(st)
                }
            } else if key == "total_bps" { sample.totalBps = try s.doubleOrNull() }
            else if key == "missing" { sample.missing = try stringArray(&s) }
            else { try s.skipValue() }
        }
        return sample
    }

    static func decodeInterface(_ s: inout JSONScanner) throws(JSONError) -> InterfaceSample {
        var i = InterfaceSample(name: "", netns: "")
        try s.beginObject()
        var first = true
        while let k = try s.nextKey(&first) {
            if k == "name" { i.name = try s.string() }
            else if k == "netns" { i.netns = try s.string() }
            else if k == "rx_bps" { i.rxBps = try s.doubleOrNull() ?? 0 }
            else if k == "tx_bps" { i.txBps = try s.doubleOrNull() ?? 0 }
            else if k == "rx_pps" { i.rxPps = try s.doubleOrNull() ?? 0 }
            else if k == "tx_pps" { i.txPps = try s.doubleOrNull() ?? 0 }
            else if k == "queues" {
                try s.beginArray()
                var f = true
                while try s.nextElement(&f) {
                    var q = QueueState(queue: 0, rpsCPUs: nil, rpsFlowCount: nil)
                    try s.beginObject()
                    var g = true
                    while let qk = try s.nextKey(&g) {
                        if qk == "queue" { q.queue = try s.int() }
                        else if qk == "rps_cpus" { q.rpsCPUs = try s.stringOrNull() }
                        else if qk == "rps_flow_cnt" { q.rpsFlowCount = try s.intOrNull() }
                        else { try s.skipValue() }
                    }
                    i.queues.append(q)
                }
            } else { try s.skipValue() }
        }
        return i
    }

    static func decodeMode(_ s: inout JSONScanner) throws(JSONError) -> ModeChange {
        var m = ModeChange(t: 0, from: "", to: "", ok: false, writes: [], errors: [])
        try s.beginObject()
        var first = true
        while let k = try s.nextKey(&first) {
            if k == "t" { m.t = try s.double() }
            else if k == "from" { m.from = try s.string() }
            else if k == "to" { m.to = try s.string() }
            else if k == "ok" { m.ok = try s.bool() }
            else if k == "errors" { m.errors = try stringArray(&s) }
            else if k == "writes" {
                try s.beginArray()
                var f = true
                while try s.nextElement(&f) {
                    var w = FileWrite(netns: "", path: "", before: "", after: "")
                    try s.beginObject()
                    var g = true
                    while let wk = try s.nextKey(&g) {
                        if wk == "netns" { w.netns = try s.string() }
                        else if wk == "path" { w.path = try s.string() }
                        else if wk == "before" { w.before = try s.string() }
                        else if wk == "after" { w.after = try s.string() }
                        else { try s.skipValue() }
                    }
                    m.writes.append(w)
                }
            } else { try s.skipValue() }
        }
        return m
    }

    static func decodeRun(_ s: inout JSONScanner) throws(JSONError) -> RunMark {
        var r = RunMark(t: 0, event: .start, run: 0, mode: "", replicas: 0)
        try s.beginObject()
        var first = true
        while let k = try s.nextKey(&first) {
            if k == "t" { r.t = try s.double() }
            else if k == "event" {
                let e = try s.string()
                guard let ev = RunMark.Event(rawValue: e) else {
                    throw JSONError(offset: s.index, reason: "run event must be start or end, not \"\(e)\"")
                }
                r.event = ev
            } else if k == "run" { r.run = try s.int() }
            else if k == "mode" { r.mode = try s.string() }
            else if k == "replicas" { r.replicas = try s.int() }
            else if k == "complete" { r.complete = try s.bool() }
            else { try s.skipValue() }
        }
        return r
    }

    static func decodeStreamEnd(_ s: inout JSONScanner) throws(JSONError) -> StreamEnd {
        var e = StreamEnd(t: 0, id: "", bps: 0, bytes: 0, seconds: 0)
        try s.beginObject()
        var first = true
        while let k = try s.nextKey(&first) {
            if k == "t" { e.t = try s.double() }
            else if k == "id" { e.id = try s.string() }
            else if k == "bps" { e.bps = try s.double() }
            else if k == "bytes" { e.bytes = try s.doubleOrNull() ?? 0 }
            else if k == "seconds" { e.seconds = try s.doubleOrNull() ?? 0 }
            else { try s.skipValue() }
        }
        return e
    }

    static func decodeNote(_ s: inout JSONScanner) throws(JSONError) -> Note {
        var n = Note(t: 0, text: "")
        try s.beginObject()
        var first = true
        while let k = try s.nextKey(&first) {
            if k == "t" { n.t = try s.double() }
            else if k == "text" { n.text = try s.string() }
            else { try s.skipValue() }
        }
        return n
    }
}
