#if canImport(Glibc)
import Glibc
#endif
import SteerKit

/// `steerbench stats-gen OUT [--mb N] [--seed N] [--runs-per-round N]`: writes a realistic
/// sweep recording of about N MB (default 200) for benchmarks/stats.sh. Four CPUs, eight
/// interfaces with their rx queues, one iperf3 stream per replica, and rounds of runs over
/// the five modes × replicas 1, 2, 4, 8, 16 (30 one-second samples each, the settling
/// samples between runs, a few runs cut short and redone, stream_end records) until the
/// file is big enough. The figures follow the shape of the paper's results with noise;
/// a fixed seed gives the same file every time.
enum StatsGen {
    static let usage = "OUT [--mb 200] [--seed 1]   write a realistic sweep recording of about that size (OUT.jsonl.zst or .gz: compressed as steertop record does)"

    static let modes = Mode.allCases.map(\.rawValue)
    static let replicaCounts = [1, 2, 4, 8, 16]
    /// Baseline throughput of all streams together, bit/s, by replicas.
    static let baselineTotal: [Int: Double] = [1: 6.0e9, 2: 9.0e9, 4: 11.0e9, 8: 12.0e9, 16: 12.5e9]
    /// Bitrate relative to the baseline, by mode and replicas (roughly Figure 6).
    static let factor: [String: [Double]] = [
        "baseline": [1, 1, 1, 1, 1],
        "rps": [1.03, 0.97, 1.05, 1.07, 1.08],
        "rps+": [1.01, 0.95, 1.08, 1.10, 1.12],
        "rfs": [1.06, 1.02, 1.09, 1.09, 1.09],
        "rfs+": [1.04, 1.00, 1.15, 1.20, 1.24],
    ]

    static func main(_ args: [String]) -> Int32 {
        var out: String?
        var megabytes = 200.0
        var seed: UInt64 = 1
        var k = 0
        while k < args.count {
            switch args[k] {
            case "--mb" where k + 1 < args.count: megabytes = Double(args[k + 1]) ?? -1; k += 2
            case "--seed" where k + 1 < args.count: seed = UInt64(args[k + 1]) ?? 1; k += 2
            default:
                if out == nil && !args[k].hasPrefix("-") { out = args[k]; k += 1 } else {
                    return fail("stats-gen: unexpected argument \(args[k]); usage: stats-gen \(usage)")
                }
            }
        }
        guard let out, megabytes > 0 else { return fail("stats-gen: usage: stats-gen \(usage)") }
        do {
            var g = try Generator(path: out, seed: seed)
            let bytes = try g.run(targetBytes: Int(megabytes * 1_000_000))
            _ = LibC.writeAll(2, Array("stats-gen: wrote \(out): \(bytes) bytes, \(g.lines) lines, \(g.runNumber) runs\n".utf8))
            return 0
        } catch {
            return fail("stats-gen: \(error)")
        }
    }

    static func fail(_ message: String) -> Int32 {
        _ = LibC.writeAll(2, Array((message + "\n").utf8))
        return 2
    }

    /// SplitMix64: small, fast and the same on every machine.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
        /// Normal(0, 1) by Box–Muller.
        mutating func gaussian() -> Double {
            let u = max(uniform(), 1e-300), v = uniform()
            return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
        }
    }

    struct Generator {
        let fd: Int32
        var buffer = JSONBuffer(capacity: 1 << 21)
        var rng: Random
        var written = 0
        var lines = 0
        var t = 0.0
        var runNumber = 0
        var currentMode = "baseline"
        let cpus = 4

        /// A name ending in .zst or .gz: written through RecordingWriter, compressed as
        /// `steertop record` does (the size asked for is then the text's, before compression).
        let path: String
        var writer: RecordingWriter?

        init(path: String, seed: UInt64) throws(SteerError) {
            self.path = path
            if RecordingCompression(path: path) != .none {
                fd = -1
            } else {
                switch LibC.open(path, O_WRONLY | O_CREAT | O_TRUNC) {
                case .success(let f): fd = f
                case .failure(let e): throw SteerError.create(path: path, errno: e)
                }
            }
            rng = Random(state: seed)
        }

        mutating func emit(_ r: Record) throws(SteerError) {
            RecordCodec.encode(r, into: &buffer)
            lines += 1
            if fd < 0 {
                if let writer { try writer.write(r) } else if case .header(let h) = r {
                    writer = try RecordingWriter(creating: path, header: h)
                }
                written += buffer.count
                buffer.reset()
                return
            }
            if buffer.count > 1 << 20 { try flush() }
        }

        mutating func flush() throws(SteerError) {
            guard fd >= 0 else { return }
            if case .failure(let e) = buffer.withUnsafeBytes({ LibC.writeAll(fd, $0) }) {
                throw SteerError.write(path: "the recording", value: "\(buffer.count) bytes", errno: e)
            }
            written += buffer.count
            buffer.reset()
        }

        mutating func run(targetBytes: Int) throws(SteerError) -> Int {
            defer { if fd >= 0 { LibC.close(fd) } else { writer?.close() } }
            try emit(.header(RecordingHeader(
                started: "2025-03-08T10:00:00Z", host: "worker-2", kernel: "5.15.0-119-generic", cpus: cpus,
                intervalSeconds: 1, toolVersion: "0.1.0",
                argv: ["steertop", "sweep", "--replicas", "1,2,4,8,16", "--runs", "20", "--out", "sweep.jsonl"],
                targets: RecordingTargets(node: "", ifaces: ["eth1", "vxlan.calico", "cali*"], netns: ["cni-*"],
                                          podIfaces: ["eth0"]))))
            try emit(.note(Note(t: 0, text: "sweep: modes baseline,rps,rps+,rfs,rfs+; replicas 1,2,4,8,16")))
            while written + buffer.count < targetBytes {
                for (ri, replicas) in StatsGen.replicaCounts.enumerated() {
                    for mode in StatsGen.modes {
                        // About one run in forty is cut short (an interrupted sweep) and redone.
                        if rng.uniform() < 0.025 { try oneRun(mode: mode, replicas: replicas, level: ri, cutShort: true) }
                        try oneRun(mode: mode, replicas: replicas, level: ri, cutShort: false)
                    }
                }
            }
            try flush()
            return written
        }

        mutating func switchMode(to mode: String) throws(SteerError) {
            let mask = mode == "baseline" ? "0" : "f"
            let flows = mode.hasPrefix("rfs") ? "32768" : "0"
            var writes: [FileWrite] = []
            for iface in ["eth1", "vxlan.calico", "cali1a2b3c4d5e6"] {
                writes.append(FileWrite(netns: "", path: "/sys/class/net/\(iface)/queues/rx-0/rps_cpus", before: "0", after: mask))
                writes.append(FileWrite(netns: "", path: "/sys/class/net/\(iface)/queues/rx-0/rps_flow_cnt", before: "0", after: flows))
            }
            try emit(.mode(ModeChange(t: t, from: ObservedMode(name: currentMode), to: ObservedMode(name: mode), ok: true, writes: writes, errors: [])))
            currentMode = mode
        }

        mutating func oneRun(mode: String, replicas: Int, level: Int, cutShort: Bool) throws(SteerError) {
            if mode != currentMode { try switchMode(to: mode) }
            // Settling samples between runs (outside any run).
            for _ in 0..<3 { try sample(mode: mode, replicas: replicas, level: level, perStream: nil) }
            runNumber += 1
            try emit(.run(RunMark(t: t, event: .start, run: runNumber, mode: ObservedMode(name: mode), replicas: replicas)))
            // This run's per-stream rate: the mode's effect and run-to-run noise that
            // shrinks as the replicas grow (the intervals of Figure 6).
            let cv = [0.08, 0.06, 0.04, 0.03, 0.02][level]
            let runMean = StatsGen.baselineTotal[replicas]! / Double(replicas) * StatsGen.factor[mode]![level]
                * (1 + cv * rng.gaussian())
            let streamRates = (0..<replicas).map { _ in runMean * (1 + 0.05 * rng.gaussian()) }
            let seconds = cutShort ? 7 : 30
            for _ in 0..<seconds { try sample(mode: mode, replicas: replicas, level: level, perStream: streamRates) }
            if !cutShort {
                for (k, bps) in streamRates.enumerated() {
                    let figure = bps * (1 + 0.01 * rng.gaussian())
                    try emit(.streamEnd(StreamEnd(t: t, id: "steer-server-\(k)", bps: figure.rounded(), bytes: (figure * 30 / 8).rounded(), seconds: 30.0)))
                }
            }
            try emit(.run(RunMark(t: t, event: .end, run: runNumber, mode: ObservedMode(name: mode), replicas: replicas, complete: !cutShort)))
            if cutShort { try emit(.note(Note(t: t, text: "sweep interrupted; run \(runNumber) will be redone"))) }
        }

        mutating func sample(mode: String, replicas: Int, level: Int, perStream: [Double]?) throws(SteerError) {
            t += 1 + 0.002 * rng.gaussian()
            let load = perStream == nil ? 0.02 : [0.1, 0.2, 0.45, 0.7, 0.9][level]
            let spread = mode == "baseline" ? 0.0 : (mode.hasSuffix("+") ? 0.6 : 0.4) + (mode.hasPrefix("rfs") ? 0.1 : 0)
            var cpuRows: [CPUUsage] = []
            var netRX: [Double] = [], netTX: [Double] = [], softnet: [SoftnetRates] = []
            for c in 0..<cpus {
                // Core 3 takes the NIC's interrupts: its softirq share is what steering spreads.
                let own = c == 3 ? 1.0 : 0.0
                let softShare = (1 - spread) * own + spread * 0.25
                let soft = max(0, 54 * load * softShare + 0.5 + 0.6 * rng.gaussian())
                let sys = max(0, 18 * load + 1 + rng.gaussian())
                let usr = max(0, 8 * load + 0.5 + 0.5 * rng.gaussian())
                let irq = max(0, 0.3 + 0.1 * rng.gaussian())
                let idle = max(0, 100 - soft - sys - usr - irq)
                cpuRows.append(CPUUsage(cpu: c, usr: usr, nice: 0, sys: sys, iowait: 0.02, irq: irq, soft: soft,
                                        steal: 0.1, guest: 0, gnice: 0, idle: idle))
                let rx = (80_000 * load * (softShare + 0.05) * (1 + 0.05 * rng.gaussian())).rounded()
                netRX.append(rx)
                netTX.append((rx * 0.08).rounded())
                softnet.append(SoftnetRates(cpu: c, processed: (rx * 3.1).rounded(), dropped: 0,
                                            timeSqueeze: max(0, (load * 4 * rng.uniform()).rounded()),
                                            receivedRPS: spread > 0 ? (rx * 0.7).rounded() : 0, flowLimit: 0))
            }
            let total = perStream.map { $0.reduce(0, +) } ?? 0
            let mask: String? = mode == "baseline" ? "0" : "f"
            let flows: Int? = mode.hasPrefix("rfs") ? 32768 : 0
            var ifaces: [InterfaceSample] = []
            let bytesRate = total * (1 + 0.01 * rng.gaussian())
            func queues(_ n: Int) -> [QueueState] { (0..<n).map { QueueState(queue: $0, rpsCPUs: mask, rpsFlowCount: flows) } }
            ifaces.append(InterfaceSample(name: "eth1", netns: "", rxBps: (bytesRate * 1.03).rounded(), txBps: (bytesRate * 0.02).rounded(),
                                          rxPps: (bytesRate / 11_600).rounded(), txPps: (bytesRate / 120_000).rounded(), queues: queues(4)))
            ifaces.append(InterfaceSample(name: "vxlan.calico", netns: "", rxBps: bytesRate.rounded(), txBps: (bytesRate * 0.02).rounded(),
                                          rxPps: (bytesRate / 11_800).rounded(), txPps: (bytesRate / 122_000).rounded(), queues: queues(1)))
            for k in 0..<4 {
                let share = bytesRate / 4
                ifaces.append(InterfaceSample(name: "cali\(k)a2b3c4d5e6", netns: "", rxBps: (share * 0.02).rounded(), txBps: share.rounded(),
                                              rxPps: (share / 120_000).rounded(), txPps: (share / 11_800).rounded(), queues: queues(1)))
            }
            for k in 0..<2 {
                let share = bytesRate / 2
                ifaces.append(InterfaceSample(name: "eth0", netns: "cni-5f1c2a9e-\(k)d4b-4e7a-9c1e-2b7f0a\(k)", rxBps: share.rounded(),
                                              txBps: (share * 0.02).rounded(), rxPps: (share / 11_800).rounded(),
                                              txPps: (share / 120_000).rounded(), queues: queues(1)))
            }
            var streams: [StreamRate] = []
            var sum = 0.0
            if let perStream {
                for (k, bps) in perStream.enumerated() {
                    let now = (bps * (1 + 0.04 * rng.gaussian())).rounded()
                    streams.append(StreamRate(id: "steer-server-\(k)", bps: now))
                    sum += now
                }
            }
            try emit(.sample(Sample(t: t, mode: ObservedMode(name: mode), cpus: cpuRows, netRX: netRX, netTX: netTX, softnet: softnet, ifaces: ifaces,
                                    sockFlowEntries: mode.hasPrefix("rfs") ? 32768 : 0, streams: streams,
                                    totalBps: perStream == nil ? nil : sum)))
        }
    }
}
