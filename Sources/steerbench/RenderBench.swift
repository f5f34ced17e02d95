#if canImport(Glibc)
import Glibc
#endif
import SteerKit
import SteerTUI

/// `steerbench render [--frames N] [--size WxH]`: renders a dashboard of 96 CPUs and
/// 40 interfaces of 4 rx queues each (plus 8 iperf3 streams and 10 minutes of history)
/// N times into a Buffer and prints the mean time per frame; then the same for the
/// renderer's diff of two alternating frames against a recording backend.
enum RenderBench {
    static func run(_ args: [String]) {
        var frames = 1000
        var sizes = [Size(width: 80, height: 24), Size(width: 120, height: 40), Size(width: 200, height: 60)]
        var i = 0
        while i < args.count {
            switch args[i] {
            case "--frames" where i + 1 < args.count:
                frames = Int(args[i + 1]) ?? frames
                i += 1
            case "--size" where i + 1 < args.count:
                let wh = args[i + 1].split(separator: "x").compactMap { Int($0) }
                guard wh.count == 2 else { fail("--size wants WxH, e.g. 200x60") }
                sizes = [Size(width: wh[0], height: wh[1])]
                i += 1
            default:
                fail("usage: steerbench render [--frames N] [--size WxH]")
            }
            i += 1
        }
        let states = [state(tick: 0), state(tick: 1)]
        let palette = Theme.builtin.palette(.c256)
        let queues = states[0].sample!.ifaces.reduce(0) { $0 + $1.queues.count }
        for size in sizes {
            var buf = Buffer(size: size)
            // Warm up (first-use allocations, lazy statics), outside what callgrind counts.
            for s in states { DashboardView.render(s, palette: palette, glyphs: .unicode, into: &buf) }
            let t0 = LibC.monotonic()
            for f in 0..<frames { callgrindFrame(states[f & 1], palette, &buf) }
            let perFrame = frames > 0 ? (LibC.monotonic() - t0) / Double(frames) : 0

            // The renderer: diff against the previous frame and send runs to a recorder.
            var a = Buffer(size: size), b = Buffer(size: size)
            DashboardView.render(states[0], palette: palette, glyphs: .unicode, into: &a)
            DashboardView.render(states[1], palette: palette, glyphs: .unicode, into: &b)
            let backend = NullBackend(size: size)
            let renderer = Renderer(backend: backend)
            renderer.render(a)
            var cells = 0
            let t1 = LibC.monotonic()
            for f in 0..<frames { cells += benchDiffFrame(renderer, f & 1 == 0 ? b : a) }
            let perDiff = frames > 0 ? (LibC.monotonic() - t1) / Double(frames) : 0

            print("render \(size): 96 cpus, 40 interfaces, \(queues) queues, \(frames) frames: "
                  + "\(micro(perFrame)) us/frame into the buffer; diff+send \(micro(perDiff)) us/frame "
                  + "(\(frames > 0 ? cells / frames : 0) cells changed per frame)")
        }
    }

    @inline(never)
    static func benchDiffFrame(_ renderer: Renderer, _ frame: Buffer) -> Int {
        renderer.render(frame)
    }

    static func micro(_ seconds: Double) -> String {
        let us = seconds * 1e6
        let tenths = Int((us * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    static func fail(_ message: String) -> Never {
        print(message)
        exit(2)
    }

    /// 96 CPUs with RPS to 0-3 on the node's NICs, 40 interfaces of 4 queues each (node
    /// NICs, then pod veths with mixed settings), 8 streams, 600 ticks of history.
    /// `tick` changes the figures a little, as consecutive samples do.
    static func state(tick: Int) -> DashboardState {
        let n = 96
        let jitter = Double(tick) * 0.7
        let cpus = (0..<n).map { i -> CPUUsage in
            let soft = (i < 4 ? 45.0 : Double((i * 11) % 9)) + jitter
            let usr = Double((i * 7) % 13), sys = Double((i * 3) % 7), irq = i % 5 == 0 ? 1.5 : 0
            return CPUUsage(cpu: i, usr: usr, nice: 0, sys: sys, iowait: 0, irq: irq, soft: soft, steal: 0,
                            idle: max(0, 100 - usr - sys - irq - soft))
        }
        let softnet = (0..<n).map {
            SoftnetRates(cpu: $0, processed: 1000, dropped: $0 == 2 ? 1 : 0, timeSqueeze: $0 == 3 ? 5 : 0,
                         receivedRPS: 0, flowLimit: 0)
        }
        var ifaces: [InterfaceSample] = []
        for k in 0..<40 {
            let queues = (0..<4).map { q in
                QueueState(queue: q, rpsCPUs: k < 2 ? "0000000f" : (q % 2 == 0 ? "00000003" : "0"),
                           rpsFlowCount: k < 2 ? 4096 : 2048 * (q % 2))
            }
            ifaces.append(InterfaceSample(
                name: k < 2 ? "eth\(k)" : "eth0", netns: k < 2 ? "" : "cni-\(0x1a2b3c + k)",
                rxBps: 9.4e9 / Double(k + 1) + Double(tick), rxPps: 812_000 / Double(k + 1), queues: queues))
        }
        let streams = (0..<8).map {
            StreamRate(id: "iperf-\($0):\(5201 + $0)", bps: 1.17e9 + Double(tick * 1000 + $0), state: $0 == 7 ? "stale" : nil)
        }
        var st = DashboardState()
        st.host = "node-7"
        st.source = .live(target: "eth0,eth1 + 38 pods")
        st.sample = Sample(t: Double(tick), mode: "rps", cpus: cpus, netRX: (0..<n).map { Double($0 * 100 + tick) },
                           netTX: [Double](repeating: 0, count: n), softnet: softnet, ifaces: ifaces,
                           sockFlowEntries: 32768, streams: streams, totalBps: 8.2e9 + Double(tick))
        st.mode = "rps"
        st.modeDetail = "rps_cpus 0-3 · flow 4096"
        st.throughputHistory = (0..<600).map { 8e9 + 1e9 * Double(($0 + tick) % 17) / 17 }
        st.podNames = Dictionary(uniqueKeysWithValues: (2..<40).map { ("cni-\(0x1a2b3c + $0)", "iperf-server-\($0)") })
        st.switchStatus = .init(target: "rps", phase: .ok, message: "160 files written", time: "12:03:04")
        st.recorder = .init(path: "/var/tmp/steertop.jsonl", lines: 1234 + tick, bytes: 4_567_890)
        return st
    }
}

/// One frame into the buffer, as a symbol of its own so that callgrind can count just
/// this (valgrind --toggle-collect='*callgrindFrame*'). Top-level, and named with words
/// that appear nowhere before it in its mangled name, so the mangler keeps the name whole.
@inline(never)
func callgrindFrame(_ state: DashboardState, _ palette: Palette, _ buf: inout Buffer) {
    DashboardView.render(state, palette: palette, glyphs: .unicode, into: &buf)
}

/// A backend that draws nowhere: the benchmark measures the diff, not a terminal.
final class NullBackend: Backend {
    let size: Size
    init(size: Size) { self.size = size }
    func draw(_ runs: [Run]) {}
    func flush() {}
    func clear() {}
}
