import ArgumentParser
import SteerKit

#if canImport(Glibc)
import Glibc
#endif

extension Steertop {
    struct Trace: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Trace where receive work runs: packets per CPU per device, TCP flows' CPUs and locality (BPF; root).",
            discussion: """
            Per tick: each device of the receive path (namespace, interface) with its packets per \
            second and each CPU's share of them (net:netif_receive_skb, on the CPU that processed \
            the packet, after RPS), then the TCP flows received, iperf3's first: segments per second, \
            the CPUs that ran their TCP receive (tcp:tcp_probe), the CPU their reader last ran on \
            (sock:sock_recv_length) and locality, the share of segments processed on that CPU. \
            See docs/tracing.md.
            """)

        @OptionGroup var sampling: SamplingOptions

        @Option(parsing: .unconditional, help: ArgumentHelp("Seconds to trace (default: until interrupted).", valueName: "seconds"))
        var duration: Double?

        @Flag(help: "One JSON object per tick instead of the tables.")
        var json = false

        @Option(help: ArgumentHelp("Flows shown per tick in the table (the JSON has all).", valueName: "n"))
        var flows: Int = 12

        @Option(help: ArgumentHelp("Where named network namespaces are.", valueName: "path"))
        var netnsDir: String = "/var/run/netns"

        func validate() throws {
            if let duration, !(duration > 0 && duration <= 366 * 86_400) {
                throw ValidationError("--duration must be more than 0 seconds and at most a year (leave it out to trace until interrupted)")
            }
            guard flows >= 0 && flows <= 100_000 else { throw ValidationError("--flows must be between 0 and 100000") }
        }

        func run() throws {
            let signals = try SignalPipe([SIGINT, SIGTERM, SIGHUP])
            let tracer = try Tracer(netnsDirectory: netnsDir)
            defer { tracer.stop() }
            let start = LibC.monotonic()
            var next = start + sampling.interval
            while true {
                if signals.wait(max(0, next - LibC.monotonic())) != nil { break }
                if LibC.monotonic() < next { continue }
                let tick = try tracer.read()
                let t = LibC.monotonic() - start
                output(json ? TraceFormat.json(tick, t: t) : TraceFormat.table(tick, t: t, flows: flows))
                if let duration, t >= duration - sampling.interval / 2 { break }
                next += sampling.interval
                let now = LibC.monotonic()
                if next < now { next = now + sampling.interval }
            }
        }
    }
}

/// The trace command's two outputs: compact tables for a person, a JSON object per tick.
enum TraceFormat {
    static func table(_ tick: TraceTick, t: Double, flows limit: Int) -> String {
        let seconds = max(tick.seconds, 1e-6)
        let cpuHeader = (0..<tick.cpus).map { pad("cpu\($0)", 5, right: true) }.joined(separator: " ")
        var out = "── t=\(fixed(t, 1))s · \(tick.stages.count) devices · \(tick.flows.count) flows ──\n"
        out += pad("stage", 44) + pad("pkt/s", 9, right: true) + " " + cpuHeader + "\n"
        for s in tick.stages {
            let name = (s.netns.isEmpty ? "host" : s.netns) + " " + s.device
            let shares = s.shares.map { pad(percent($0), 5, right: true) }.joined(separator: " ")
            out += pad(name, 44) + pad(si(Double(s.totalPackets) / seconds), 9, right: true) + " " + shares + "\n"
        }
        if limit > 0 {
            out += pad("flow (receiver ← sender)", 56) + pad("seg/s", 8, right: true) + "  "
                + pad("tcp on", 14) + pad("reader", 16) + "local\n"
            for f in tick.flows.prefix(limit) {
                let total = Double(f.totalSegments)
                let name = (f.netns.isEmpty ? "host" : f.netns) + " " + f.local + " ← " + f.remote
                let on = f.processingCPUs.map { "\($0):\(percent(Double(f.segments[$0]) / max(total, 1)))" }.joined(separator: " ")
                let reader = f.readerCPU.map { "cpu\($0) \(f.readerCommand ?? "")" } ?? "-"
                let locality = f.locality.map { fixed($0, 2) } ?? "-"
                out += pad(name, 56) + pad(si(total / seconds), 8, right: true) + "  "
                    + pad(on, 14) + pad(reader, 16) + locality + "\n"
            }
            if tick.flows.count > limit { out += "… \(tick.flows.count - limit) more flows\n" }
        }
        for w in tick.warnings { out += "warning: \(w)\n" }
        return out
    }

    static func json(_ tick: TraceTick, t: Double) -> String {
        var o = "{\"t\":\(fixed(t, 3)),\"seconds\":\(fixed(tick.seconds, 4)),\"cpus\":\(tick.cpus),\"stages\":["
        o += tick.stages.map { s in
            "{\"netns\":\(quoted(s.netns)),\"device\":\(quoted(s.device)),\"netns_inode\":\(s.netnsInode),\"ifindex\":\(s.ifindex)"
                + ",\"packets\":[\(s.packets.map(String.init).joined(separator: ","))],\"bytes\":\(s.bytes)}"
        }.joined(separator: ",")
        o += "],\"flows\":["
        o += tick.flows.map { f in
            var e = "{\"netns\":\(quoted(f.netns)),\"local\":\(quoted(f.local)),\"remote\":\(quoted(f.remote))"
            e += ",\"segments\":[\(f.segments.map(String.init).joined(separator: ","))],\"skbs\":\(f.skbs),\"bytes\":\(f.bytes)"
            e += ",\"reads\":\(f.reads)"
            e += ",\"reader_cpu\":" + (f.readerCPU.map(String.init) ?? "null")
            e += ",\"reader\":" + (f.readerCommand.map(quoted) ?? "null")
            e += ",\"reader_pid\":" + (f.readerPID.map { String($0) } ?? "null")
            e += ",\"locality\":" + (f.locality.map { fixed($0, 4) } ?? "null")
            return e + "}"
        }.joined(separator: ",")
        o += "],\"lost\":{\"stage_packets\":\(tick.lostStagePackets),\"flow_segments\":\(tick.lostFlowSegments),\"reads\":\(tick.lostReads)}"
        o += ",\"warnings\":[\(tick.warnings.map(quoted).joined(separator: ","))]}\n"
        return o
    }

    static func quoted(_ s: String) -> String {
        var o = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": o += "\\\""
            case "\\": o += "\\\\"
            default:
                if u.value < 0x20 { o += "\\u" + String(repeating: "0", count: 4 - String(u.value, radix: 16).count) + String(u.value, radix: 16) }
                else { o.unicodeScalars.append(u) }
            }
        }
        return o + "\""
    }

    static func fixed(_ v: Double, _ digits: Int) -> String {
        guard v.isFinite else { return "0" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let n = Int((abs(v) * scale).rounded())
        let whole = n / Int(scale), frac = n % Int(scale)
        var f = String(frac)
        while f.count < digits { f = "0" + f }
        return (v < 0 && n != 0 ? "-" : "") + String(whole) + (digits > 0 ? "." + f : "")
    }

    static func percent(_ share: Double) -> String { "\(Int((share * 100).rounded()))%" }

    static func si(_ v: Double) -> String {
        if v >= 1e6 { return fixed(v / 1e6, 2) + "M" }
        if v >= 1e4 { return fixed(v / 1e3, 1) + "k" }
        return String(Int(v.rounded()))
    }

    static func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        let n = s.count
        if n >= width { return right ? s : String(s.prefix(width - 1)) + " " }
        let fill = String(repeating: " ", count: width - n)
        return right ? fill + s : s + fill
    }
}
