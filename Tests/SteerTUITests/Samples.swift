import SteerKit
@testable import SteerTUI

/// Samples built in the tests: a node whose rx queues steer to CPUs 0-3 (RPS), pods with
/// one queue each, and iperf3 streams, with figures that differ from core to core.
enum Samples {
    static func cpus(_ n: Int) -> [CPUUsage] {
        (0..<n).map { i in
            let hot = i < 4
            let usr = Double((i * 7) % 13)
            let sys = Double((i * 3) % 7)
            let irq = i % 5 == 0 ? 2.0 : 0
            let soft = hot ? 40.0 + Double(i) * 6 : Double((i * 11) % 9)
            return CPUUsage(cpu: i, usr: usr, nice: 0, sys: sys, iowait: 0, irq: irq, soft: soft, steal: 0,
                            idle: 100 - usr - sys - irq - soft)
        }
    }

    static func softnet(_ n: Int) -> [SoftnetRates] {
        (0..<n).map { i in
            SoftnetRates(cpu: i, processed: i < 4 ? 90_000 : 10, dropped: i == 2 ? 3 : 0,
                         timeSqueeze: i == 3 ? 12 : 0, receivedRPS: i < 4 ? 80_000 : 0, flowLimit: 0)
        }
    }

    /// The node's eth1 (`hostQueues` queues steered to 0-3), then `pods` pod interfaces
    /// (1 queue each; every third one with RPS off).
    static func ifaces(pods: Int, hostQueues: Int = 4) -> [InterfaceSample] {
        var out = [InterfaceSample(
            name: "eth1", netns: "", rxBps: 9.41e9, rxPps: 812_345,
            queues: (0..<hostQueues).map { QueueState(queue: $0, rpsCPUs: "f", rpsFlowCount: 4096) })]
        for p in 0..<pods {
            out.append(InterfaceSample(
                name: "eth0", netns: "cni-\(1000 + p)", rxBps: 2.35e9 / Double(p + 1), rxPps: 200_000 / Double(p + 1),
                queues: [QueueState(queue: 0, rpsCPUs: p % 3 == 2 ? "0" : "3", rpsFlowCount: p % 3 == 2 ? 0 : 2048)]))
        }
        return out
    }

    static func streams(_ n: Int) -> [StreamRate] {
        (0..<n).map { i in
            switch i {
            case 2: return StreamRate(id: "pod2:5203", bps: 0, state: "stale")
            case 3: return StreamRate(id: "pod3:5204", bps: 0, state: "connection refused by 10.0.0.7")
            default: return StreamRate(id: "pod\(i):\(5201 + i)", bps: 2.3e9 + Double(i) * 1.1e7)
            }
        }
    }

    static func sample(cpus n: Int, pods: Int = 3, streams s: Int = 4, hostQueues: Int = 4) -> Sample {
        let st = streams(s)
        return Sample(
            t: 42, mode: "rps", cpus: cpus(n),
            netRX: (0..<n).map { $0 < 4 ? 12_345.0 * Double($0 + 1) : Double($0) },
            netTX: (0..<n).map { _ in 0 },
            softnet: softnet(n), ifaces: ifaces(pods: pods, hostQueues: hostQueues), sockFlowEntries: 32768,
            streams: st, totalBps: st.isEmpty ? nil : st.filter { $0.state == nil }.reduce(0) { $0 + $1.bps })
    }

    static func state(cpus n: Int, pods: Int = 3, streams s: Int = 4, hostQueues: Int = 4) -> DashboardState {
        var st = DashboardState()
        st.host = "node-7"
        st.source = .live(target: "eth1 + pods")
        st.sample = sample(cpus: n, pods: pods, streams: s, hostQueues: hostQueues)
        st.mode = "rps"
        st.modeDetail = "rps_cpus 0-3 · flow 4096"
        // A ramp that climbs for 24 ticks and falls back: 2 to 9.2 Gb/s.
        st.throughputHistory = (0..<300).map { 2e9 + 3e8 * Double($0 % 25) }
        st.modeMarks = [.init(index: 280, mode: "rps")]
        st.podNames = ["cni-1000": "iperf-server-0", "cni-1001": "iperf-server-1"]
        st.switchStatus = .init(target: "rps", phase: .ok, message: "8 files written", time: "12:03:04")
        return st
    }

    /// A buffer filled with a marker, so cells nobody drew show up.
    static func marked(_ w: Int, _ h: Int) -> Buffer { markedBuffer(w, h) }

    static func frame(_ state: DashboardState, _ w: Int, _ h: Int, glyphs: Glyphs = .unicode,
                      theme: Theme = .builtin, colours: ColourSupport = .c256) -> Buffer {
        var b = marked(w, h)
        DashboardView.render(state, theme: theme, colours: colours, glyphs: glyphs, into: &b)
        return b
    }
}

/// Traced samples: stages of the node's eth1 and each pod's eth0, and TCP flows.
extension Samples {
    static func stages(cpus n: Int, pods: Int) -> [StageRate] {
        var eth1 = [Double](repeating: 0, count: n)
        for c in 0..<min(n, 4) { eth1[c] = 200_000 / Double(c + 1) }
        var client = [Double](repeating: 0, count: n)
        client[0] = 812
        var out = [StageRate(netns: "", device: "eth1", pps: eth1), StageRate(netns: "steer-client", device: "eth1", pps: client)]
        for p in 0..<pods {
            var pps = [Double](repeating: 0, count: n)
            pps[p % n] = 40_000 / Double(p + 1)
            pps[(p + 1) % n] += 1000
            out.append(StageRate(netns: "cni-\(1000 + p)", device: "eth0", pps: pps))
        }
        return out
    }

    static func flows(cpus n: Int, pods: Int) -> [FlowRate] {
        var out: [FlowRate] = []
        for p in 0..<pods {
            let own = 400_000 / Double(p + 1)
            var segments = [Double](repeating: 0, count: n)
            segments[p % n] = own
            segments[(p + 1) % n] += 100_000
            out.append(FlowRate(netns: "cni-\(1000 + p)", local: "10.66.2.\(11 + p):5201", remote: "10.66.1.\(11 + p):\(41000 + p)",
                                segments: segments, bps: 4.7e9 / Double(p + 1), readerCPU: p % n, reader: "iperf3",
                                locality: segments[p % n] / (own + 100_000)))
        }
        var ack = [Double](repeating: 0, count: n)
        ack[0] = 812
        out.append(FlowRate(netns: "steer-client", local: "10.66.1.11:41000", remote: "10.66.2.11:5201", segments: ack, bps: 0))
        return out
    }

    static func tracedState(cpus n: Int, pods: Int = 3, streams s: Int = 4) -> DashboardState {
        var st = state(cpus: n, pods: pods, streams: s)
        st.traced = true
        st.sample?.stages = stages(cpus: n, pods: pods)
        st.sample?.flows = flows(cpus: n, pods: pods)
        return st
    }
}
