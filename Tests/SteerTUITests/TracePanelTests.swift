import Testing
import SteerKit
@testable import SteerTUI

/// The stages and flows panels (kernel tracing) in whole screens, where tracing cannot
/// run, with many CPUs, and what a new tick sends to the terminal.
@Suite struct TracePanelTests {
    /// Two CPUs: a column per CPU; the stages in the interfaces' order named by pod, the
    /// client node's eth1 (not watched) left out and counted; flows of the watched
    /// namespaces in a stable order, the reader's CPU and locality.
    @Test func twoCPUsAt100x34() {
        let b = Samples.frame(Samples.tracedState(cpus: 2), 100, 34)
        #expect(b.lines == [
            " steertop · node-7 · eth1 + pods              LIVE · every 1s · mode rps (rps_cpus 0-3 · flow 4096) ",
            "─ CPU 2 · busiest cpu1 56% soft · avg idle 51% ─── busy  usr  sys  irq soft NET_RX/s  drop/s   sqz/s",
            "0 ████████████████████▏···························   42    0    0    2   40    12.3k       0       0",
            "1 ██████████████████████████▉·····················   56    7    3    0   46    24.7k       0       0",
            "─ Interfaces 4 · 7 queues · rps_sock_flow_entries 32768 ────────────────────────────────────────────",
            "namespace/pod              iface            rx Mb/s  tx Mb/s  rx pps queue     rps_cpus     flow_cnt",
            "host                       eth1                9410      0.0    812k rx-0      0-3              4096",
            "                                                                     rx-1      0-3              4096",
            "                                                                     rx-2      0-3              4096",
            "                                                                     rx-3      0-3              4096",
            "cni-1002                   eth0                 783      0.0   66.7k rx-0      off                 0",
            "iperf-server-0 cni-1000    eth0                2350      0.0    200k rx-0      0-1              2048",
            "iperf-server-1 cni-1001    eth0                1175      0.0    100k rx-0      0-1              2048",
            "─ Stages 4 · packets per CPU · 1 unwatched ─────────────────────────────────────────────────────────",
            "namespace/pod              iface             pkt/s  cpu0 cpu1                                       ",
            "host                       eth1               300k   67%  33%                                       ",
            "cni-1002                   eth0              14.3k   93%   7%                                       ",
            "iperf-server-0 cni-1000    eth0              41.0k   98%   2%                                       ",
            "iperf-server-1 cni-1001    eth0              21.0k    5%  95%                                       ",
            "─ Flows 3 · locality 0.71 · TCP receive CPUs · reader's CPU ────────────────────────────────────────",
            "namespace/pod           receiver ← sender                               seg/s cpu0 cpu1 reader local",
            "iperf-server-0 cni-1000 10.66.2.11:5201 ← 10.66.1.11:41000               500k  80%  20%   cpu0  0.80",
            "iperf-server-1 cni-1001 10.66.2.12:5201 ← 10.66.1.12:41001               300k  33%  67%   cpu1  0.67",
            "cni-1002                10.66.2.13:5201 ← 10.66.1.13:41002               233k  57%  43%   cpu0  0.57",
            "─ Throughput · total 4.61 Gb/s · 4 streams · 1 stale · 1 failed · max 9.20 Gb/s ────────────────────",
            "pod0:5201  2.30 Gb/s ███████████████████▉    10.00 Gb/s                   ▂                  │     ▂",
            "pod1:5202  2.31 Gb/s ████████████████████               ▃█      ▁▆       ▅█      ▃█      ▁▆  │    ▅█",
            "pod2:5203  0.00 Gb/s stale                              ██     ▄██▆    ▃███    ▁▆██     ▄██▆ │  ▃███",
            "pod3:5204  0.00 Gb/s connection refused …               ██▁  ▂▇████  ▁▆████   ▄████▁  ▂▇████ │▁▆████",
            "                                                        ███ ▅██████ ▄██████ ▂▇██████ ▅██████ ▄██████",
            "                                                        ███████████▇███████▅████████████████▇███████",
            "                                               0.0 Mb/s ████████████████████████████████████████████",
            "total      4.61 Gb/s                              -132s ─────────────────────────────────────┴rps───",
            "switched to rps at 12:03:04: 8 files written                                                 ? help ",
        ])
    }

    @Test func fourCPUsAt120x40() {
        let b = Samples.frame(Samples.tracedState(cpus: 4), 120, 40)
        #expect(b.lines == [
            " steertop · node-7 · eth1 + pods                                  LIVE · every 1s · mode rps (rps_cpus 0-3 · flow 4096) ",
            "─ CPU 4 · busiest cpu3 68% soft · avg idle 44% · drops on 1 cpu ────── busy  usr  sys  irq soft NET_RX/s  drop/s   sqz/s",
            "0 ████████████████████████████▌·······································   42    0    0    2   40    12.3k       0       0",
            "1 ██████████████████████████████████████▏·····························   56    7    3    0   46    24.7k       0       0",
            "2 ████████████████████████████████████████▏···························   59    1    6    0   52    37.0k       3       0",
            "3 ██████████████████████████████████████████████▎·····················   68    8    2    0   58    49.4k       0      12",
            "─ Interfaces 4 · 7 queues · rps_sock_flow_entries 32768 ────────────────────────────────────────────────────────────────",
            "namespace/pod                           iface            rx Mb/s  tx Mb/s  rx pps queue     rps_cpus            flow_cnt",
            "host                                    eth1                9410      0.0    812k rx-0      0-3                     4096",
            "                                                                                  rx-1      0-3                     4096",
            "                                                                                  rx-2      0-3                     4096",
            "                                                                                  rx-3      0-3                     4096",
            "cni-1002                                eth0                 783      0.0   66.7k rx-0      off                        0",
            "iperf-server-0 cni-1000                 eth0                2350      0.0    200k rx-0      0-1                     2048",
            "iperf-server-1 cni-1001                 eth0                1175      0.0    100k rx-0      0-1                     2048",
            "─ Stages 4 · packets per CPU · 1 unwatched ─────────────────────────────────────────────────────────────────────────────",
            "namespace/pod                           iface             pkt/s  cpu0 cpu1 cpu2 cpu3                                    ",
            "host                                    eth1               417k   48%  24%  16%  12%                                    ",
            "cni-1002                                eth0              14.3k    0%   0%  93%   7%                                    ",
            "iperf-server-0 cni-1000                 eth0              41.0k   98%   2%   0%   0%                                    ",
            "iperf-server-1 cni-1001                 eth0              21.0k    0%  95%   5%   0%                                    ",
            "─ Flows 3 · locality 0.71 · TCP receive CPUs · reader's CPU ────────────────────────────────────────────────────────────",
            "namespace/pod            receiver ← sender                                        seg/s cpu0 cpu1 cpu2 cpu3 reader local",
            "iperf-server-0 cni-1000  10.66.2.11:5201 ← 10.66.1.11:41000                        500k  80%  20%   0%   0%   cpu0  0.80",
            "iperf-server-1 cni-1001  10.66.2.12:5201 ← 10.66.1.12:41001                        300k   0%  67%  33%   0%   cpu1  0.67",
            "cni-1002                 10.66.2.13:5201 ← 10.66.1.13:41002                        233k   0%   0%  57%  43%   cpu2  0.57",
            "─ Throughput · total 4.61 Gb/s · 4 streams · 1 stale · 1 failed · max 9.20 Gb/s · chart 2s a column ────────────────────",
            "pod0:5201  2.30 Gb/s ███████████████████▉    10.00 Gb/s                                                       │         ",
            "pod1:5202  2.31 Gb/s ████████████████████               ▅           ▂█           ▅           ▂█           ▅   │       ▂█",
            "pod2:5203  0.00 Gb/s stale                              █          ▅██         ▂██          ▅██         ▂██   │      ▅██",
            "pod3:5204  0.00 Gb/s connection refused …               █        ▃████        ▅███        ▃████        ▅███   │    ▃████",
            "                                                        █▁      ▅█████      ▃█████▁      ▅█████      ▃█████▁  │   ▅█████",
            "                                                        ██    ▃███████     ▅███████    ▃███████     ▅███████  │ ▃███████",
            "                                                        ██   ▅████████   ▃█████████   ▅████████   ▃█████████  │▅████████",
            "                                                        ██ ▃██████████  ▅██████████ ▃██████████  ▅██████████ ▃██████████",
            "                                                        ██▆███████████▃████████████▆███████████▃████████████▆███████████",
            "                                                        ████████████████████████████████████████████████████████████████",
            "                                               0.0 Mb/s ████████████████████████████████████████████████████████████████",
            "total      4.61 Gb/s                              -128s ──────────────────────────────────────────────────────┴rps──────",
            "switched to rps at 12:03:04: 8 files written                                                                     ? help ",
        ])
    }

    /// At 80x24 the trace panels give up rows before the interfaces and the streams do:
    /// stages shortened to "+N more", flows its title line with the mean locality.
    @Test func shortenedAt80x24() {
        var b = Samples.marked(80, 24)
        let layout = DashboardView.render(Samples.tracedState(cpus: 2), theme: .builtin, glyphs: .unicode, into: &b)
        #expect(layout.stages == .shortened && layout.flows == .summary && layout.throughput == .full && layout.interfaces == .full)
        #expect(Array(b.lines[12...17]) == [
            "─ Stages 4 · packets per CPU · 1 unwatched ─────────────────────────────────────",
            "namespace/pod      iface             pkt/s  cpu0 cpu1                           ",
            "host               eth1               300k   67%  33%                           ",
            "+3 more                                                                         ",
            "─ Flows 3 · locality 0.71 · TCP receive CPUs · reader's CPU ────────────────────",
            "─ Throughput · total 4.61 Gb/s · 4 streams · 1 stale · 1 failed ────────────────",
        ])
    }

    /// Pods of one deployment share a long prefix: the stages and flows panels cut a long
    /// pod name from the left, as the interfaces table does, so their rows stay distinct.
    @Test func longPodNamesAreCutFromTheLeftInEveryPanel() {
        var st = Samples.tracedState(cpus: 2)
        for (netns, pod) in st.podNames { st.podNames[netns] = "production-team/checkout-service-7d9f8b6c4-" + pod }
        let lines = Samples.frame(st, 100, 34).lines
        let named = lines.filter { $0.contains("…") && $0.contains("iperf-server-") }
        // Each panel's rows end with what tells the pods apart, never with the shared prefix.
        #expect(named.count >= 4, "\(lines)")
        #expect(!lines.contains { $0.hasPrefix("production-team/checko…") }, "\(lines)")
        #expect(named.allSatisfy { $0.hasPrefix("…") }, "\(named)")
    }

    /// A flow that carries an iperf3 stream starts with the stream's name, as the
    /// throughput panel shows it; the others keep their endpoints alone.
    @Test func aStreamsFlowIsNamedByTheStream() {
        var st = Samples.tracedState(cpus: 2)
        st.sample?.flows[0].stream = "pod1/t1/5"
        let lines = Samples.frame(st, 100, 34).lines
        let flow = st.sample!.flows[0]
        #expect(lines.contains { $0.contains("pod1/t1/5 " + flow.local + " ← ") }, "\(lines)")
        let other = st.sample!.flows[1]
        #expect(lines.contains { $0.contains(" " + other.local + " ← " + other.remote) }, "\(lines)")
    }

    /// Where tracing cannot run: one line says why, everything else as without tracing.
    @Test func whyNotIsOneLine() {
        var off = Samples.state(cpus: 2)
        off.sample?.traceOff = "tracing unavailable: kernel tracing needs root (BPF programs and maps): run steertop with sudo"
        let b = Samples.frame(off, 80, 24)
        let plain = Samples.frame(Samples.state(cpus: 2), 80, 24)
        #expect(b.lines[13] == "─ Stages and flows · tracing unavailable: kernel tracing needs root (BPF prog… ─")
        #expect(Array(b.lines[0..<13]) == Array(plain.lines[0..<13]))
        #expect(b.lines[14] == plain.lines[13], "the throughput panel follows, one row shorter")
        // A recording without tracing keys shows no trace panel at all.
        #expect(!b.lines.joined().contains("Flows"))
        #expect(!plain.lines.joined().contains("Stages"))
    }

    /// With 96 CPUs the shares do not fit in columns: the busiest CPUs as cpu:share.
    @Test func manyCPUsShowTheBusiest() {
        let b = Samples.frame(Samples.tracedState(cpus: 96, pods: 2), 200, 60)
        let lines = b.lines
        let stage = lines.first { $0.hasPrefix("host ") && $0.contains("417k") } ?? ""
        #expect(stage.contains("417k  0:48% 1:24% 2:16% 3:12%"), "\(stage)")
        let flow = lines.first { $0.contains("10.66.2.12:5201") } ?? ""
        #expect(flow.contains("1:67% 2:33%") && flow.hasSuffix("cpu1  0.67"), "\(flow)")
    }

    /// A tick that changes one flow's figures sends only the cells of those figures; an
    /// unchanged tick sends nothing.
    @Test func aNewTickSendsOnlyTheFiguresThatChanged() {
        let backend = TestBackend(width: 100, height: 34)
        let renderer = Renderer(backend: backend)
        var st = Samples.tracedState(cpus: 2)
        renderer.render(Samples.frame(st, 100, 34))
        #expect(renderer.render(Samples.frame(st, 100, 34)) == 0)
        backend.reset()
        // The second flow's reader moves to CPU 0: its shares' styles, reader and locality change.
        st.sample?.flows[1].readerCPU = 0
        st.sample?.flows[1].locality = 0.33
        renderer.render(Samples.frame(st, 100, 34))
        let rows = Set(backend.runs.map(\.y))
        let flowRow = Samples.frame(st, 100, 34).lines.firstIndex { $0.contains("10.66.2.12:5201") }
        #expect(rows.subtracting([flowRow ?? -1, 19]) == [], "rows sent: \(rows.sorted())")
        #expect(backend.runs.reduce(0) { $0 + $1.text.unicodeScalars.count } <= 20)
    }
}
