import Testing
import SteerKit

#if canImport(Glibc)
import Glibc
#endif

/// The ids of every BPF program loaded on the machine, from `bpftool prog show`.
func loadedProgramIDs() throws -> Set<UInt32> {
    let text = try Command.check(["bpftool", "prog", "show"])
    var ids: Set<UInt32> = []
    for line in text.split(separator: "\n") {
        // "123: tracing  name stage_receive  tag …"
        guard let colon = line.firstIndex(of: ":"), let id = UInt32(line[..<colon]) else { continue }
        ids.insert(id)
    }
    return ids
}

/// rx_packets and rx_bytes of a device in a namespace, read as a person would.
func rxCounters(_ netns: String, _ device: String) throws -> (packets: UInt64, bytes: UInt64) {
    let p = try catInNetns(netns, "/sys/class/net/\(device)/statistics/rx_packets")
    let b = try catInNetns(netns, "/sys/class/net/\(device)/statistics/rx_bytes")
    return (UInt64(p) ?? 0, UInt64(b) ?? 0)
}

/// iperf3 clients started by the test in the lab's client pods, pinned with taskset to
/// `cpu`, each sending to its server pod for `seconds`; waits for them to end.
func pinnedTraffic(pods: Int, cpu: Int, seconds: Int) throws {
    var pids: [Int32] = []
    for k in 1...pods {
        let server = LabPod(side: .server, index: k)
        let argv = [Command.resolve("ip") ?? "ip", "netns", "exec", LabPod(side: .client, index: k).netns,
                    "taskset", "-c", String(cpu), "iperf3", "-c", server.address, "-p", String(Lab.iperfPort),
                    "-t", String(seconds), "-l", "128K"]
        switch LibC.spawn(argv) {
        case .success(let pid): pids.append(pid)
        case .failure(let e): throw SteerError.spawn(command: "iperf3", errno: e)
        }
    }
    #expect(Processes.waitForExit(pids, seconds: Double(seconds) + 30), "the iperf3 clients did not end")
}

/// The lab's server pods' iperf3 servers (the readers), pinned with `taskset -a -p` to `cpu`.
func pinServers(_ lab: LabFixture, cpu: Int) throws {
    let status = Lab.status(state: StateDirectory(path: lab.state.path))
    let pids = status.servers.compactMap(\.pid)
    #expect(pids.count == lab.pods)
    for pid in pids {
        try Command.check(["taskset", "-a", "-p", String(1 << cpu), String(pid)])
    }
}

extension LabTests {
    @Suite struct Tracing {
        /// Per-stage packet counts agree with the devices' own rx_packets over the same
        /// interval; a flow's segments are its payload bytes over the MSS; nothing of
        /// steertop's is loaded after stop.
        @Test func stagesAgreeWithRxPacketsAndFlowsWithBytes() throws {
            let before = try loadedProgramIDs()
            let lab = try LabFixture(pods: 2)
            let tracer = try Tracer()
            let ours = Set(tracer.programIDs)
            #expect(ours.count == 3)
            #expect(ours.isSubset(of: try loadedProgramIDs()))

            let devices: [(String, String)] = [("steer-server", "eth1"), ("steer-server", "vxlan.calico")]
                + (1...2).map { ("steer-server", lab.serverPod($0).cali) }
                + (1...2).map { (lab.serverPod($0).netns, "eth0") }
            // The interval starts and ends with no traffic: rx counters and the maps are read
            // while nothing moves, so both count the same packets.
            var rx0: [String: (packets: UInt64, bytes: UInt64)] = [:]
            for (ns, dev) in devices { rx0[ns + "/" + dev] = try rxCounters(ns, dev) }
            _ = try tracer.read()
            let t = try steertop(["lab", "traffic", "--replicas", "2", "--duration", "2"], state: lab.state)
            #expect(t.status == 0, "\(t.stderr)")
            let tick = try tracer.read()
            var rx1: [String: (packets: UInt64, bytes: UInt64)] = [:]
            for (ns, dev) in devices { rx1[ns + "/" + dev] = try rxCounters(ns, dev) }

            for (ns, dev) in devices {
                let key = ns + "/" + dev
                let delta = rx1[key]!.packets - rx0[key]!.packets
                let stage = try #require(tick.stage(netns: ns, device: dev), "no stage for \(key) in \(tick.stages.map { $0.netns + "/" + $0.device })")
                #expect(delta > 1000, "\(key): 2 s of iperf3 should pass over 1000 packets (got \(delta))")
                let diff = abs(Double(stage.totalPackets) - Double(delta))
                #expect(diff <= 0.03 * Double(delta), "\(key): traced \(stage.totalPackets) packets, rx_packets grew by \(delta)")
            }

            // Each server pod's iperf3 stream: payload bytes within the pod's rx bytes, and
            // segments = bytes / MSS in order of magnitude (MSS: the pod's MTU less 52 header bytes).
            for k in 1...2 {
                let pod = lab.serverPod(k)
                let stream = tick.flows.filter { $0.netns == pod.netns && $0.localPort == UInt16(Lab.iperfPort) && $0.isIperf }
                    .max { $0.bytes < $1.bytes }
                let flow = try #require(stream, "no iperf3 flow in \(pod.netns): \(tick.flows.map { "\($0.netns) \($0.local) \($0.readerCommand ?? "-")" })")
                let rxBytes = rx1[pod.netns + "/eth0"]!.bytes - rx0[pod.netns + "/eth0"]!.bytes
                #expect(flow.bytes <= rxBytes && Double(flow.bytes) >= 0.8 * Double(rxBytes),
                        "\(pod.netns): flow payload \(flow.bytes) vs eth0 rx_bytes \(rxBytes)")
                let mtu = Double(try catInNetns(pod.netns, "/sys/class/net/eth0/mtu")) ?? 1500
                let expected = Double(flow.bytes) / (mtu - 52)
                let ratio = Double(flow.totalSegments) / expected
                #expect(ratio > 0.5 && ratio < 2, "\(pod.netns): \(flow.totalSegments) segments for \(flow.bytes) bytes (\(Int(expected)) at MSS \(Int(mtu) - 52))")
                #expect(flow.skbs <= flow.totalSegments)
                #expect(flow.readerCommand == "iperf3" && flow.readerCPU != nil)
                let locality = try #require(flow.locality)
                #expect(locality >= 0 && locality <= 1)
            }
            #expect(tick.lostFlowSegments == 0 && tick.lostStagePackets == 0)

            tracer.stop()
            #expect(!tracer.isRunning)
            // The kernel frees detached programs after an RCU grace period: wait for it.
            var after = try loadedProgramIDs()
            let deadline = LibC.monotonic() + 30
            while !after.isDisjoint(with: ours) && LibC.monotonic() < deadline {
                LibC.sleep(0.05)
                after = try loadedProgramIDs()
            }
            #expect(after.isDisjoint(with: ours), "steertop's programs are still loaded: \(after.intersection(ours))")
            #expect(before.isDisjoint(with: ours))
        }

        /// With rps on the node, the tunnel's and the pods' stages run on more than one CPU.
        @Test func rpsSpreadsTheTunnelAndPodStages() throws {
            let lab = try LabFixture(pods: 4)
            defer { _ = try? steertop(["apply", "baseline"], state: lab.state) }
            let a = try steertop(["apply", "rps"], state: lab.state)
            #expect(a.status == 0, "\(a.stderr)")
            let tracer = try Tracer()
            defer { tracer.stop() }
            // RPS picks a CPU per flow by its hash: 4 flows may all hash to one CPU (1 in 8);
            // each round's new source ports hash anew, so wait for the spread over rounds.
            var vxlan = [UInt64](repeating: 0, count: tracer.cpus)
            var pods = [UInt64](repeating: 0, count: tracer.cpus)
            func spread(_ v: [UInt64]) -> Int { v.filter { $0 > 0 }.count }
            var rounds = 0
            while rounds < 6 && (spread(vxlan) < 2 || spread(pods) < 2) {
                rounds += 1
                _ = try tracer.read()
                let t = try steertop(["lab", "traffic", "--replicas", "4", "--duration", "1"], state: lab.state)
                #expect(t.status == 0, "\(t.stderr)")
                let tick = try tracer.read()
                if let s = tick.stage(netns: "steer-server", device: "vxlan.calico") {
                    for c in s.packets.indices { vxlan[c] += s.packets[c] }
                }
                for k in 1...4 {
                    if let s = tick.stage(netns: lab.serverPod(k).netns, device: "eth0") {
                        for c in s.packets.indices { pods[c] += s.packets[c] }
                    }
                }
                for f in tick.flows {
                    if let l = f.locality { #expect(l >= 0 && l <= 1) }
                }
            }
            #expect(spread(vxlan) >= 2, "vxlan.calico's packets per CPU with rps: \(vxlan)")
            #expect(spread(pods) >= 2, "the pods' eth0 packets per CPU with rps: \(pods)")
        }

        /// Locality follows the mode: with the readers pinned to CPU 1 and the senders to
        /// CPU 0, baseline processes segments where they arrive (CPU 0, except those a busy
        /// reader processes itself), rfs steers them to the reader's CPU.
        @Test(.enabled(if: LibC.configuredCPUs() >= 2, "needs two CPUs"))
        func localityChangesWithTheMode() throws {
            let lab = try LabFixture(pods: 2)
            defer { _ = try? steertop(["apply", "baseline"], state: lab.state) }
            try pinServers(lab, cpu: 1)
            let tracer = try Tracer()
            defer { tracer.stop() }
            var mean: [Mode: Double] = [:]
            for mode in [Mode.baseline, .rfs] {
                let a = try steertop(["apply", mode.rawValue], state: lab.state)
                #expect(a.status == 0, "\(a.stderr)")
                _ = try tracer.read()
                try pinnedTraffic(pods: 2, cpu: 0, seconds: 2)
                let tick = try tracer.read()
                let streams = tick.flows.filter { $0.isIperf && $0.bytes > 1_000_000 }
                #expect(streams.count == 2, "\(mode): \(streams.count) iperf3 streams traced")
                for f in streams { #expect(f.readerCPU == 1, "\(mode): reader of \(f.local) on \(f.readerCPU ?? -1)") }
                let values = streams.compactMap(\.locality)
                mean[mode] = values.reduce(0, +) / Double(max(values.count, 1))
            }
            let base = try #require(mean[.baseline]), rfs = try #require(mean[.rfs])
            #expect(rfs > 0.9, "rfs steers TCP processing to the reader's CPU: locality \(rfs)")
            #expect(rfs - base > 0.2, "locality did not change with the mode: baseline \(base), rfs \(rfs)")
        }

        /// A namespace deleted while traced: its last counts keep their names, nothing throws,
        /// and later ticks go on.
        @Test func aNamespaceVanishingMidTrace() throws {
            let lab = try LabFixture(pods: 1)
            let tracer = try Tracer()
            defer { tracer.stop() }
            let ns = "steer-trace-vanish"
            try Command.check(["ip", "netns", "add", ns])
            defer { _ = try? Command.run(["ip", "netns", "del", ns]) }
            try Command.check(["ip", "-n", ns, "link", "set", "lo", "up"])
            // Ten datagrams over lo: each passes net:netif_receive_skb once.
            let udp = "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nfor _ in range(10): s.sendto(b'x', ('127.0.0.1', 9))\n"
            try Command.check(["ip", "netns", "exec", ns, "python3", "-c", udp])
            // Named while it exists.
            let first = try tracer.read()
            #expect(first.stage(netns: ns, device: "lo") != nil, "\(first.stages.map { $0.netns + "/" + $0.device })")
            // Traffic, then the namespace goes before the read.
            try Command.check(["ip", "netns", "exec", ns, "python3", "-c", udp])
            try Command.check(["ip", "netns", "del", ns])
            let second = try tracer.read()
            #expect(second.stage(netns: ns, device: "lo") != nil, "a vanished namespace keeps its name for its last counts")
            let t = try steertop(["lab", "traffic", "--replicas", "1", "--duration", "1"], state: lab.state)
            #expect(t.status == 0)
            let third = try tracer.read()
            #expect(third.stage(netns: "steer-server", device: "vxlan.calico") != nil)
        }

        /// More flows than the maps hold: the rest are counted as left out, not crashed on.
        @Test func tooManyFlowsAreCountedAsLeftOut() throws {
            let tracer = try Tracer()
            defer { tracer.stop() }
            let ns = "steer-trace-flows"
            try Command.check(["ip", "netns", "add", ns])
            defer { _ = try? Command.run(["ip", "netns", "del", ns]) }
            try Command.check(["ip", "-n", ns, "link", "set", "lo", "up"])
            // A listener and more connections than all CPUs' flow slots hold (the cap is per
            // CPU), a byte each way, closed: python3 in the namespace (one process, no fixed
            // sleeps).
            let n = Tracer.maxFlows * tracer.cpus + 500
            let script = """
            import socket
            srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            srv.bind(("127.0.0.1", 5999)); srv.listen(128)
            for i in range(\(n)):
                c = socket.create_connection(("127.0.0.1", 5999)); a, _ = srv.accept()
                c.sendall(b"x"); a.recv(1); a.sendall(b"y"); c.recv(1); c.close(); a.close()
            """
            _ = try tracer.read()
            let out = try Command.run(["ip", "netns", "exec", ns, "python3", "-c", script], timeout: 120)
            #expect(out.status == 0, "\(out.stderr)")
            let tick = try tracer.read()
            #expect(tick.flows.count <= Tracer.maxFlows * tracer.cpus)
            #expect(tick.lostFlowSegments > 0, "flows beyond the cap must be counted as left out")
            #expect(tick.warnings.contains { $0.contains("beyond the cap of \(Tracer.maxFlows)") })
        }

        /// Not root: one line, exit 1, nothing loaded.
        @Test func notRootGivesOneLine() throws {
            let state = TestState()
            let r = try Command.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", steertopBinary, "trace", "--duration", "1"],
                                    timeout: 30, environment: state.environment)
            #expect(r.status == 1)
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(r.stderr)")
            #expect(r.stderr.hasPrefix("steertop: tracing unavailable: kernel tracing needs root"), "\(r.stderr)")
        }

        /// A second tracer while one runs: one line saying so.
        @Test func secondTracerIsRefused() throws {
            let tracer = try Tracer()
            defer { tracer.stop() }
            let state = TestState()
            let r = try steertop(["trace", "--duration", "1"], state: state)
            #expect(r.status == 1)
            #expect(r.stderr == "steertop: tracing unavailable: another steertop is already tracing on this machine (it holds \(Tracer.lockPath))\n")
        }
    }
}
