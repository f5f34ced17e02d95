/// Format v1 (docs/recording-format.md): how each record is written as one JSON line and
/// read back. Readers ignore unknown keys and unknown types.
public enum RecordCodec {
    // Every key and type name comes from RecordSchema.
    typealias Ty = RecordSchema.RecordType
    typealias H = RecordSchema.Header
    typealias S = RecordSchema.Sample
    typealias M = RecordSchema.ModeChange
    typealias R = RecordSchema.Run
    typealias E = RecordSchema.StreamEnd
    typealias N = RecordSchema.Note
    typealias D = RecordSchema.Decimals

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
            out.key(Ty.key); out.string(type)
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
        out.key(Ty.key); out.string(Ty.header)
        out.key(H.format); out.string(RecordingHeader.format)
        out.key(H.version); out.int(h.version)
        out.key(H.started); out.string(h.started)
        out.key(H.host); out.string(h.host)
        out.key(H.kernel); out.string(h.kernel)
        out.key(H.cpus); out.int(h.cpus)
        out.key(H.intervalSeconds); out.number(h.intervalSeconds, decimals: D.seconds)
        out.key(H.tool)
        out.beginObject()
        out.key(H.Tool.name); out.string(h.toolName)
        out.key(H.Tool.version); out.string(h.toolVersion)
        out.endObject()
        out.key(H.argv)
        out.beginArray()
        for a in h.argv { out.string(a) }
        out.endArray()
        out.key(H.targets)
        out.beginObject()
        out.key(H.Targets.node); out.string(h.targets.node)
        out.key(H.Targets.ifaces); stringArray(h.targets.ifaces, into: &out)
        out.key(H.Targets.netns); stringArray(h.targets.netns, into: &out)
        out.key(H.Targets.podIfaces); stringArray(h.targets.podIfaces, into: &out)
        out.endObject()
        for (key, map) in [(H.pods, h.pods), (H.veths, h.veths)] where !map.isEmpty {
            out.key(key)
            out.beginObject()
            for (k, v) in map.sorted(by: { $0.key < $1.key }) { out.key(k); out.string(v) }
            out.endObject()
        }
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
        out.key(Ty.key); out.string(Ty.sample)
        out.key(RecordSchema.t); out.number(s.t, decimals: D.seconds)
        out.key(S.mode); out.string(s.mode.name)
        out.key(S.cpu)
        out.beginArray()
        for c in s.cpus {
            out.beginObject()
            out.key(S.CPU.cpu); out.int(c.cpu)
            out.key(S.CPU.usr); out.number(c.usr, decimals: D.percent)
            out.key(S.CPU.nice); out.number(c.nice, decimals: D.percent)
            out.key(S.CPU.sys); out.number(c.sys, decimals: D.percent)
            out.key(S.CPU.iowait); out.number(c.iowait, decimals: D.percent)
            out.key(S.CPU.irq); out.number(c.irq, decimals: D.percent)
            out.key(S.CPU.soft); out.number(c.soft, decimals: D.percent)
            out.key(S.CPU.steal); out.number(c.steal, decimals: D.percent)
            out.key(S.CPU.guest); out.number(c.guest, decimals: D.percent)
            out.key(S.CPU.gnice); out.number(c.gnice, decimals: D.percent)
            out.key(S.CPU.idle); out.number(c.idle, decimals: D.percent)
            out.endObject()
        }
        out.endArray()
        out.key(S.netRX)
        out.beginArray()
        for v in s.netRX { out.number(v, decimals: D.perSecond) }
        out.endArray()
        out.key(S.netTX)
        out.beginArray()
        for v in s.netTX { out.number(v, decimals: D.perSecond) }
        out.endArray()
        out.key(S.softnet)
        out.beginArray()
        for n in s.softnet {
            out.beginObject()
            out.key(S.Softnet.cpu); out.int(n.cpu)
            out.key(S.Softnet.processed); out.number(n.processed, decimals: D.perSecond)
            out.key(S.Softnet.dropped); out.number(n.dropped, decimals: D.perSecond)
            out.key(S.Softnet.timeSqueeze); out.number(n.timeSqueeze, decimals: D.perSecond)
            out.key(S.Softnet.receivedRPS); out.number(n.receivedRPS, decimals: D.perSecond)
            out.key(S.Softnet.flowLimit); out.number(n.flowLimit, decimals: D.perSecond)
            out.endObject()
        }
        out.endArray()
        out.key(S.ifaces)
        out.beginArray()
        for i in s.ifaces {
            out.beginObject()
            out.key(S.Interface.name); out.string(i.name)
            out.key(S.Interface.netns); out.string(i.netns)
            out.key(S.Interface.rxBps); out.number(i.rxBps, decimals: D.bits)
            out.key(S.Interface.txBps); out.number(i.txBps, decimals: D.bits)
            out.key(S.Interface.rxPps); out.number(i.rxPps, decimals: D.perSecond)
            out.key(S.Interface.txPps); out.number(i.txPps, decimals: D.perSecond)
            out.key(S.Interface.queues)
            out.beginArray()
            for q in i.queues {
                out.beginObject()
                out.key(S.Queue.queue); out.int(q.queue)
                out.key(S.Queue.rpsCPUs); out.stringOrNull(q.rpsCPUs)
                out.key(S.Queue.rpsFlowCount); out.intOrNull(q.rpsFlowCount)
                out.endObject()
            }
            out.endArray()
            out.endObject()
        }
        out.endArray()
        out.key(S.sockFlowEntries); out.intOrNull(s.sockFlowEntries)
        out.key(S.streams)
        out.beginArray()
        for st in s.streams {
            out.beginObject()
            out.key(S.Stream.id); out.string(st.id)
            out.key(S.Stream.bps); out.number(st.bps, decimals: D.bits)
            if let state = st.state { out.key(S.Stream.state); out.string(state) }
            out.endObject()
        }
        out.endArray()
        out.key(S.totalBps); out.numberOrNull(s.totalBps, decimals: D.bits)
        if !s.missing.isEmpty {
            out.key(S.missing)
            stringArray(s.missing, into: &out)
        }
        encodeTrace(s, into: &out)
        out.endObject()
    }

    /// The tracing keys of a sample: written only when traced (or why not).
    static func encodeTrace(_ s: Sample, into out: inout JSONBuffer) {
        if !s.stages.isEmpty {
            out.key(S.stages)
            out.beginArray()
            for st in s.stages {
                out.beginObject()
                out.key(S.Stage.netns); out.string(st.netns)
                out.key(S.Stage.device); out.string(st.device)
                out.key(S.Stage.pps)
                out.beginArray()
                for v in st.pps { out.number(v, decimals: D.perSecond) }
                out.endArray()
                out.endObject()
            }
            out.endArray()
        }
        if !s.flows.isEmpty {
            out.key(S.flows)
            out.beginArray()
            for f in s.flows {
                out.beginObject()
                out.key(S.Flow.netns); out.string(f.netns)
                out.key(S.Flow.local); out.string(f.local)
                out.key(S.Flow.remote); out.string(f.remote)
                out.key(S.Flow.segments)
                out.beginArray()
                for v in f.segments { out.number(v, decimals: D.perSecond) }
                out.endArray()
                out.key(S.Flow.bps); out.number(f.bps, decimals: D.bits)
                out.key(S.Flow.readerCPU); out.intOrNull(f.readerCPU)
                out.key(S.Flow.reader); out.stringOrNull(f.reader)
                out.key(S.Flow.locality); out.numberOrNull(f.locality, decimals: D.share)
                if let stream = f.stream { out.key(S.Flow.stream); out.string(stream) }
                out.endObject()
            }
            out.endArray()
        }
        if s.stagesLeftOut > 0 { out.key(S.stagesLeftOut); out.int(s.stagesLeftOut) }
        if s.flowsLeftOut > 0 { out.key(S.flowsLeftOut); out.int(s.flowsLeftOut) }
        if let off = s.traceOff { out.key(S.traceOff); out.string(off) }
    }

    static func encode(_ m: ModeChange, into out: inout JSONBuffer) {
        out.beginObject()
        out.key(Ty.key); out.string(Ty.mode)
        out.key(RecordSchema.t); out.number(m.t, decimals: D.seconds)
        out.key(M.from); out.string(m.from.name)
        out.key(M.to); out.string(m.to.name)
        out.key(M.ok); out.bool(m.ok)
        out.key(M.writes)
        out.beginArray()
        for w in m.writes {
            out.beginObject()
            out.key(M.Write.netns); out.string(w.netns)
            out.key(M.Write.path); out.string(w.path)
            out.key(M.Write.before); out.string(w.before)
            out.key(M.Write.after); out.string(w.after)
            out.endObject()
        }
        out.endArray()
        out.key(M.errors)
        stringArray(m.errors, into: &out)
        out.endObject()
    }

    static func encode(_ r: RunMark, into out: inout JSONBuffer) {
        out.beginObject()
        out.key(Ty.key); out.string(Ty.run)
        out.key(RecordSchema.t); out.number(r.t, decimals: D.seconds)
        out.key(R.event); out.string(r.event.rawValue)
        out.key(R.run); out.int(r.run)
        out.key(R.mode); out.string(r.mode.name)
        out.key(R.replicas); out.int(r.replicas)
        if let complete = r.complete { out.key(R.complete); out.bool(complete) }
        out.endObject()
    }

    static func encode(_ e: StreamEnd, into out: inout JSONBuffer) {
        out.beginObject()
        out.key(Ty.key); out.string(Ty.streamEnd)
        out.key(RecordSchema.t); out.number(e.t, decimals: D.seconds)
        out.key(E.id); out.string(e.id)
        out.key(E.bps); out.number(e.bps, decimals: D.bits)
        out.key(E.bytes); out.number(e.bytes, decimals: D.bits)
        out.key(E.seconds); out.number(e.seconds, decimals: D.seconds)
        out.endObject()
    }

    static func encode(_ n: Note, into out: inout JSONBuffer) {
        out.beginObject()
        out.key(Ty.key); out.string(Ty.note)
        out.key(RecordSchema.t); out.number(n.t, decimals: D.seconds)
        out.key(N.text); out.string(n.text)
        out.endObject()
    }

    // MARK: reading

    /// Reads one line (without its newline). Unknown keys are skipped; an unknown type
    /// gives `.unknown`; a line that is not a JSON object with a string "type", or that
    /// breaks a rule of RecordRules (a value out of range, a required key missing), throws.
    public static func decode(_ line: UnsafeRawBufferPointer) throws(JSONError) -> Record {
        var s = JSONScanner(line)
        // "type" is written first, but a reader must not rely on key order: find it first.
        let type = try findTypeKey(line)
        let kind = RecordKind(type)
        var seen: RecordRules.Keys = []
        let record: Record
        do throws(JSONError) {
            switch kind {
            case .header: record = .header(try decodeHeader(&s))
            case .sample: record = .sample(try decodeSample(&s, seen: &seen))
            case .mode: record = .mode(try decodeMode(&s, seen: &seen))
            case .run: record = .run(try decodeRun(&s, seen: &seen))
            case .streamEnd: record = .streamEnd(try decodeStreamEnd(&s, seen: &seen))
            case .note: record = .note(try decodeNote(&s, seen: &seen))
            case .other:
                try s.skipValue()
                record = .unknown(type: type.string)
            }
            guard s.atEnd() else { throw s.fail("unexpected text after the record") }
            try RecordRules.require(kind, seen: seen)
        } catch {
            throw error.inRecord(kind)
        }
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
        try findTypeKey(line).string
    }

    /// The value of the top-level "type" key as it stands in the line (escapes honoured
    /// when compared).
    static func findTypeKey(_ line: UnsafeRawBufferPointer) throws(JSONError) -> JSONKey {
        var s = JSONScanner(line)
        try s.beginObject()
        var first = true
        while let key = try s.nextKey(&first) {
            if key == Ty.key { return try s.stringKey() }
            try s.skipValue()
        }
        var e = JSONError(offset: 0, reason: "not a recording line (no \"type\")")
        e.category = "without a type"
        throw e
    }

    static func decodeHeader(_ s: inout JSONScanner) throws(JSONError) -> RecordingHeader {
        var h = RecordingHeader(started: "", host: "", kernel: "", cpus: 0, intervalSeconds: 1, toolVersion: "",
                                argv: [], targets: RecordingTargets(node: "", ifaces: [], netns: [], podIfaces: []))
        var format = ""
        try s.beginObject()
        var first = true
        while let key = try s.nextKey(&first) {
            if key == H.format { format = try s.string() }
            else if key == H.version { h.version = try s.int() }
            else if key == H.started { h.started = try s.string() }
            else if key == H.host { h.host = try s.string() }
            else if key == H.kernel { h.kernel = try s.string() }
            else if key == H.cpus { h.cpus = try RecordRules.int(&s, .count) }
            else if key == H.intervalSeconds { h.intervalSeconds = try s.double() }
            else if key == H.tool {
                try s.beginObject()
                var f = true
                while let k = try s.nextKey(&f) {
                    if k == H.Tool.name { h.toolName = try s.string() }
                    else if k == H.Tool.version { h.toolVersion = try s.string() }
                    else { try s.skipValue() }
                }
            } else if key == H.argv { h.argv = try stringArray(&s) }
            else if key == H.targets {
                try s.beginObject()
                var f = true
                while let k = try s.nextKey(&f) {
                    if k == H.Targets.node { h.targets.node = try s.string() }
                    else if k == H.Targets.ifaces { h.targets.ifaces = try stringArray(&s) }
                    else if k == H.Targets.netns { h.targets.netns = try stringArray(&s) }
                    else if k == H.Targets.podIfaces { h.targets.podIfaces = try stringArray(&s) }
                    else { try s.skipValue() }
                }
            } else if key == H.pods { h.pods = try stringMap(&s) }
            else if key == H.veths { h.veths = try stringMap(&s) }
            else { try s.skipValue() }
        }
        guard format == RecordingHeader.format else {
            throw JSONError(offset: 0, reason: "header of another format (\"\(format)\")")
        }
        return h
    }

    /// An object of strings (names to names).
    static func stringMap(_ s: inout JSONScanner) throws(JSONError) -> [String: String] {
        var out: [String: String] = [:]
        try s.beginObject()
        var first = true
        while let k = try s.nextKey(&first) { out[k.string] = try s.string() }
        return out
    }

    static func stringArray(_ s: inout JSONScanner) throws(JSONError) -> [String] {
        var out: [String] = []
        try s.beginArray()
        var first = true
        while try s.nextElement(&first) { out.append(try s.string()) }
        return out
    }

    /// An array of rates (null: not measured, read as 0).
    static func rateArray(_ s: inout JSONScanner) throws(JSONError) -> [Double] {
        var out: [Double] = []
        try s.beginArray()
        var first = true
        while try s.nextElement(&first) { out.append(try RecordRules.number(&s, .rate, nullable: true) ?? 0) }
        return out
    }

    /// A percentage or a rate that may be null (not measured): read as 0.
    @inline(__always)
    static func figure(_ s: inout JSONScanner, _ kind: RecordRules.Number) throws(JSONError) -> Double {
        try RecordRules.number(&s, kind, nullable: true) ?? 0
    }

    public static func decodeSample(_ s: inout JSONScanner) throws(JSONError) -> Sample {
        var seen: RecordRules.Keys = []
        let sample = try decodeSample(&s, seen: &seen)
        try RecordRules.require(.sample, seen: seen)
        return sample
    }

    static func decodeSample(_ s: inout JSONScanner, seen: inout RecordRules.Keys) throws(JSONError) -> Sample {
        var sample = Sample()
        try s.beginObject()
        var first = true
        while let key = try s.nextKey(&first) {
            if key == RecordSchema.t { sample.t = try RecordRules.value(&s, .time); seen.insert(.t) }
            else if key == S.mode { sample.mode = ObservedMode(name: try s.string()) }
            else if key == S.cpu {
                try s.beginArray()
                var f = true
                while try s.nextElement(&f) {
                    var c = CPUUsage(cpu: sample.cpus.count)
                    try s.beginObject()
                    var g = true
                    while let k = try s.nextKey(&g) {
                        if k == S.CPU.cpu { c.cpu = try RecordRules.int(&s, .cpuID) }
                        else if k == S.CPU.usr { c.usr = try figure(&s, .percent) }
                        else if k == S.CPU.nice { c.nice = try figure(&s, .percent) }
                        else if k == S.CPU.sys { c.sys = try figure(&s, .percent) }
                        else if k == S.CPU.iowait { c.iowait = try figure(&s, .percent) }
                        else if k == S.CPU.irq { c.irq = try figure(&s, .percent) }
                        else if k == S.CPU.soft { c.soft = try figure(&s, .percent) }
                        else if k == S.CPU.steal { c.steal = try figure(&s, .percent) }
                        else if k == S.CPU.guest { c.guest = try figure(&s, .percent) }
                        else if k == S.CPU.gnice { c.gnice = try figure(&s, .percent) }
                        else if k == S.CPU.idle { c.idle = try figure(&s, .percent) }
                        else { try s.skipValue() }
                    }
                    sample.cpus.append(c)
                }
            } else if key == S.netRX { sample.netRX = try rateArray(&s) }
            else if key == S.netTX { sample.netTX = try rateArray(&s) }
            else if key == S.softnet {
                try s.beginArray()
                var f = true
                while try s.nextElement(&f) {
                    var n = SoftnetRates(cpu: 0)
                    try s.beginObject()
                    var g = true
                    while let k = try s.nextKey(&g) {
                        if k == S.Softnet.cpu { n.cpu = try RecordRules.int(&s, .cpuID) }
                        else if k == S.Softnet.processed { n.processed = try figure(&s, .rate) }
                        else if k == S.Softnet.dropped { n.dropped = try figure(&s, .rate) }
                        else if k == S.Softnet.timeSqueeze { n.timeSqueeze = try figure(&s, .rate) }
                        else if k == S.Softnet.receivedRPS { n.receivedRPS = try figure(&s, .rate) }
                        else if k == S.Softnet.flowLimit { n.flowLimit = try figure(&s, .rate) }
                        else { try s.skipValue() }
                    }
                    sample.softnet.append(n)
                }
            } else if key == S.ifaces {
                try s.beginArray()
                var f = true
                while try s.nextElement(&f) { sample.ifaces.append(try decodeInterface(&s)) }
            } else if key == S.sockFlowEntries { sample.sockFlowEntries = try RecordRules.number(&s, .count, nullable: true).map { Int($0) } }
            else if key == S.streams {
                try s.beginArray()
                var f = true
                while try s.nextElement(&f) {
                    var st = StreamRate(id: "", bps: 0)
                    try s.beginObject()
                    var g = true
                    while let k = try s.nextKey(&g) {
                        if k == S.Stream.id { st.id = try s.string() }
                        else if k == S.Stream.bps { st.bps = try figure(&s, .rate) }
                        else if k == S.Stream.state { st.state = try s.stringOrNull() }
                        else { try s.skipValue() }
                    }
                    sample.streams.append(st)
                }
            } else if key == S.totalBps { sample.totalBps = try RecordRules.number(&s, .rate, nullable: true) }
            else if key == S.missing { sample.missing = try stringArray(&s) }
            else if key == S.stages {
                try s.beginArray()
                var f = true
                while try s.nextElement(&f) { sample.stages.append(try decodeStage(&s)) }
            } else if key == S.flows {
                try s.beginArray()
                var f = true
                while try s.nextElement(&f) { sample.flows.append(try decodeFlow(&s)) }
            } else if key == S.stagesLeftOut { sample.stagesLeftOut = try RecordRules.number(&s, .count, nullable: true).map { Int($0) } ?? 0 }
            else if key == S.flowsLeftOut { sample.flowsLeftOut = try RecordRules.number(&s, .count, nullable: true).map { Int($0) } ?? 0 }
            else if key == S.traceOff { sample.traceOff = try s.stringOrNull() }
            else { try s.skipValue() }
        }
        return sample
    }

    static func decodeStage(_ s: inout JSONScanner) throws(JSONError) -> StageRate {
        var st = StageRate(netns: "", device: "", pps: [])
        try s.beginObject()
        var first = true
        while let k = try s.nextKey(&first) {
            if k == S.Stage.netns { st.netns = try s.string() }
            else if k == S.Stage.device { st.device = try s.string() }
            else if k == S.Stage.pps { st.pps = try rateArray(&s) }
            else { try s.skipValue() }
        }
        return st
    }

    static func decodeFlow(_ s: inout JSONScanner) throws(JSONError) -> FlowRate {
        var f = FlowRate(netns: "", local: "", remote: "", segments: [], bps: 0)
        try s.beginObject()
        var first = true
        while let k = try s.nextKey(&first) {
            if k == S.Flow.netns { f.netns = try s.string() }
            else if k == S.Flow.local { f.local = try s.string() }
            else if k == S.Flow.remote { f.remote = try s.string() }
            else if k == S.Flow.segments { f.segments = try rateArray(&s) }
            else if k == S.Flow.bps { f.bps = try RecordRules.number(&s, .rate, nullable: true) ?? 0 }
            else if k == S.Flow.readerCPU { f.readerCPU = try RecordRules.number(&s, .cpuID, nullable: true).map { Int($0) } }
            else if k == S.Flow.reader { f.reader = try s.stringOrNull() }
            else if k == S.Flow.locality { f.locality = try RecordRules.number(&s, .fraction, nullable: true) }
            else if k == S.Flow.stream { f.stream = try s.stringOrNull() }
            else { try s.skipValue() }
        }
        return f
    }

    static func decodeInterface(_ s: inout JSONScanner) throws(JSONError) -> InterfaceSample {
        var i = InterfaceSample(name: "", netns: "")
        try s.beginObject()
        var first = true
        while let k = try s.nextKey(&first) {
            if k == S.Interface.name { i.name = try s.string() }
            else if k == S.Interface.netns { i.netns = try s.string() }
            else if k == S.Interface.rxBps { i.rxBps = try figure(&s, .rate) }
            else if k == S.Interface.txBps { i.txBps = try figure(&s, .rate) }
            else if k == S.Interface.rxPps { i.rxPps = try figure(&s, .rate) }
            else if k == S.Interface.txPps { i.txPps = try figure(&s, .rate) }
            else if k == S.Interface.queues {
                try s.beginArray()
                var f = true
                while try s.nextElement(&f) {
                    var q = QueueState(queue: 0, rpsCPUs: nil, rpsFlowCount: nil)
                    try s.beginObject()
                    var g = true
                    while let qk = try s.nextKey(&g) {
                        if qk == S.Queue.queue { q.queue = try RecordRules.int(&s, .count) }
                        else if qk == S.Queue.rpsCPUs { q.rpsCPUs = try s.stringOrNull() }
                        else if qk == S.Queue.rpsFlowCount { q.rpsFlowCount = try RecordRules.number(&s, .count, nullable: true).map { Int($0) } }
                        else { try s.skipValue() }
                    }
                    i.queues.append(q)
                }
            } else { try s.skipValue() }
        }
        return i
    }

    static func decodeMode(_ s: inout JSONScanner, seen: inout RecordRules.Keys) throws(JSONError) -> ModeChange {
        var m = ModeChange(t: 0, from: .other(""), to: .other(""), ok: false, writes: [], errors: [])
        try s.beginObject()
        var first = true
        while let k = try s.nextKey(&first) {
            if k == RecordSchema.t { m.t = try RecordRules.value(&s, .time); seen.insert(.t) }
            else if k == M.from { m.from = ObservedMode(name: try s.string()) }
            else if k == M.to { m.to = ObservedMode(name: try s.string()) }
            else if k == M.ok { m.ok = try s.bool() }
            else if k == M.errors { m.errors = try stringArray(&s) }
            else if k == M.writes {
                try s.beginArray()
                var f = true
                while try s.nextElement(&f) {
                    var w = FileWrite(netns: "", path: "", before: "", after: "")
                    try s.beginObject()
                    var g = true
                    while let wk = try s.nextKey(&g) {
                        if wk == M.Write.netns { w.netns = try s.string() }
                        else if wk == M.Write.path { w.path = try s.string() }
                        else if wk == M.Write.before { w.before = try s.string() }
                        else if wk == M.Write.after { w.after = try s.string() }
                        else { try s.skipValue() }
                    }
                    m.writes.append(w)
                }
            } else { try s.skipValue() }
        }
        return m
    }

    static func decodeRun(_ s: inout JSONScanner, seen: inout RecordRules.Keys) throws(JSONError) -> RunMark {
        var r = RunMark(t: 0, event: .start, run: 0, mode: .other(""), replicas: 0)
        try s.beginObject()
        var first = true
        while let k = try s.nextKey(&first) {
            if k == RecordSchema.t { r.t = try RecordRules.value(&s, .time); seen.insert(.t) }
            else if k == R.event { r.event = try RecordRules.event(&s); seen.insert(.event) }
            else if k == R.run { r.run = try RecordRules.int(&s, .count); seen.insert(.run) }
            else if k == R.mode { r.mode = ObservedMode(name: try s.string()); seen.insert(.mode) }
            else if k == R.replicas { r.replicas = try RecordRules.int(&s, .replicas); seen.insert(.replicas) }
            else if k == R.complete { r.complete = try s.bool() }
            else { try s.skipValue() }
        }
        return r
    }

    static func decodeStreamEnd(_ s: inout JSONScanner, seen: inout RecordRules.Keys) throws(JSONError) -> StreamEnd {
        var e = StreamEnd(t: 0, id: "", bps: 0, bytes: 0, seconds: 0)
        try s.beginObject()
        var first = true
        while let k = try s.nextKey(&first) {
            if k == RecordSchema.t { e.t = try RecordRules.value(&s, .time); seen.insert(.t) }
            else if k == E.id { e.id = try s.string(); seen.insert(.id) }
            else if k == E.bps { e.bps = try RecordRules.value(&s, .rate); seen.insert(.bps) }
            else if k == E.bytes { e.bytes = try figure(&s, .rate) }
            else if k == E.seconds { e.seconds = try figure(&s, .rate) }
            else { try s.skipValue() }
        }
        return e
    }

    static func decodeNote(_ s: inout JSONScanner, seen: inout RecordRules.Keys) throws(JSONError) -> Note {
        var n = Note(t: 0, text: "")
        try s.beginObject()
        var first = true
        while let k = try s.nextKey(&first) {
            if k == RecordSchema.t { n.t = try RecordRules.value(&s, .time); seen.insert(.t) }
            else if k == N.text { n.text = try s.string() }
            else { try s.skipValue() }
        }
        return n
    }
}
