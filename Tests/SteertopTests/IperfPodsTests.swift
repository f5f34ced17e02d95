import Testing
import SteerKit

extension LabTests {
    /// iperf3 as real containers in CRI pods (an image of this host's iperf3 and the
    /// libraries it links): a server in one pod, a client in another, through the pods'
    /// veths, while steertop steers both pods and the node's side of their veths.
    @Suite struct IperfPods {
        @Test func iperf3ContainersCarryTrafficWhileThePodsAreSteered() throws {
            let cri = try CRIPods(count: 2, prefix: "iperf3-")
            let (server, client) = (cri.pods[0], cri.pods[1])
            try cri.kubelet(["iperf3-image"])
            try cri.kubelet(["container", server.id, "iperf3-server", "steer.test/iperf3:1", "--", "/usr/bin/iperf3", "-s", "-p", "5201"])
            let deadline = LibC.monotonic() + 60
            var listening = false
            while !listening && LibC.monotonic() < deadline {
                listening = !((try? Command.check(["ip", "netns", "exec", server.netns, "ss", "-Hltn", "sport = :5201"])) ?? "").isEmpty
                if !listening { _ = LibC.sleep(0.1) }
            }
            #expect(listening, "the iperf3 server container listens on 5201 in pod \(server.name)")

            let state = TestState()
            let online = CPUSet(list: try catInNetns("", "/sys/devices/system/cpu/online"))!
            let veths = try cri.pods.map { try cri.hostVeth($0) }
            let targets = ["--netns", cri.pods.map(\.netns).joined(separator: ","), "--iface", veths.joined(separator: ","),
                           "--runtime-endpoint", cri.socket]
            for mode in [Mode.rpsPlus, .rfsPlus] {
                let r = try steertop(["apply", mode.rawValue] + targets, state: state)
                #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
                let rxPath = "/sys/class/net/eth0/statistics/rx_bytes"
                let rx0 = UInt64(try catInNetns(server.netns, rxPath))!
                let started = try JSONValue.parse(try cri.kubelet([
                    "container", client.id, "iperf3-client-\(mode == .rpsPlus ? "rps" : "rfs")", "steer.test/iperf3:1",
                    "--", "/usr/bin/iperf3", "-c", server.ip, "-p", "5201", "-t", "2"]))
                let id = try #require(started["id"]?.string)
                let code = try cri.kubelet(["wait", id]).trimmingCharacters()
                let log = (try? LibC.readText(started["log"]?.string ?? "").get()) ?? ""
                #expect(code == "0", "iperf3 client under \(mode): \(log)")
                let rx1 = UInt64(try catInNetns(server.netns, rxPath))!
                #expect(rx1 > rx0 + 10_000_000, "2 s of iperf3 between two pods push well over 10 MB (got \(rx1 - rx0))")
                let status = try JSONValue.parse(try steertop(["status", "--json"] + targets, state: state).stdout)
                #expect(status["mode"]?.string == mode.rawValue)
                if mode == .rpsPlus {
                    #expect(CPUSet(mask: try catInNetns(server.netns, "/sys/class/net/eth0/queues/rx-0/rps_cpus")) == online)
                }
                #expect(try cri.podSysfsReadOnly(server))
            }
            let back = try steertop(["restore"] + targets, state: state)
            #expect(back.status == 0, "\(back.stdout) \(back.stderr)")
        }
    }
}
