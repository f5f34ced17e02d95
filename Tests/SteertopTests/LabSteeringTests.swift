import Testing
import SteerKit

extension LabTests {
    @Suite struct Steering {
        /// Every steering file of the lab's server node and pods, read with `ip netns exec … cat`.
        func readAll(_ lab: LabFixture) throws -> [String: String] {
            var out: [String: String] = [:]
            out["sock"] = try catInNetns("", SteeringFile.sockFlowEntriesPath)
            let nodeIfaces = try Command.check(["ip", "netns", "exec", "steer-server", "ls", "/sys/class/net"])
                .split(separator: "\n").map(String.init).filter { $0 == "eth1" || $0 == "vxlan.calico" || $0.hasPrefix("cali") }
            #expect(nodeIfaces.count == 2 + lab.pods)
            for i in nodeIfaces {
                for knob in ["rps_cpus", "rps_flow_cnt"] {
                    out["steer-server:\(i):\(knob)"] = try catInNetns("steer-server", "/sys/class/net/\(i)/queues/rx-0/\(knob)")
                }
            }
            for k in 1...lab.pods {
                for knob in ["rps_cpus", "rps_flow_cnt"] {
                    out["steer-server-pod\(k):eth0:\(knob)"] = try catInNetns("steer-server-pod\(k)", "/sys/class/net/eth0/queues/rx-0/\(knob)")
                    // The client side is never steered.
                    out["steer-client-pod\(k):eth0:\(knob)"] = try catInNetns("steer-client-pod\(k)", "/sys/class/net/eth0/queues/rx-0/\(knob)")
                }
            }
            for knob in ["rps_cpus", "rps_flow_cnt"] {
                out["steer-client:eth1:\(knob)"] = try catInNetns("steer-client", "/sys/class/net/eth1/queues/rx-0/\(knob)")
            }
            return out
        }

        /// What the paper's modes mean, from first principles.
        func expected(_ mode: Mode, key: String, online: CPUSet) -> (cpus: CPUSet?, count: Int?) {
            if key == "sock" { return (nil, mode.usesRFS ? 32768 : 0) }
            let parts = key.split(separator: ":")
            let netns = String(parts[0]), knob = String(parts[2])
            let isServerNode = netns == "steer-server"
            let isServerPod = netns.hasPrefix("steer-server-pod")
            if knob == "rps_cpus" {
                let on = (isServerNode && mode.usesRPSOnNode) || (isServerPod && mode == .rpsPlus)
                return (on ? online : CPUSet(), nil)
            }
            let on = (isServerNode && mode.usesRFS) || (isServerPod && mode == .rfsPlus)
            return (nil, on ? 32768 : 0)
        }

        @Test func eachModeReadsBackAndRestoreReturnsEverything() throws {
            let lab = try LabFixture(pods: 2)
            let online = CPUSet(list: try catInNetns("", "/sys/devices/system/cpu/online"))!
            let original = try readAll(lab)

            // Traffic crosses vxlan.calico: its rx counter grows in steer-server.
            let rxPath = "/sys/class/net/vxlan.calico/statistics/rx_bytes"
            let rx0 = UInt64(try catInNetns("steer-server", rxPath))!
            let t = try steertop(["lab", "traffic", "--replicas", "2", "--duration", "2"], state: lab.state)
            #expect(t.status == 0, "\(t.stderr)")
            let rx1 = UInt64(try catInNetns("steer-server", rxPath))!
            #expect(rx1 > rx0 + 10_000_000, "2 streams for 2 s should push well over 10 MB through vxlan.calico (got \(rx1 - rx0))")

            for mode in Mode.allCases {
                let r = try steertop(["apply", mode.rawValue], state: lab.state)
                #expect(r.status == 0, "apply \(mode): \(r.stdout) \(r.stderr)")
                #expect(r.stderr.contains("target: the lab"))
                #expect(r.stdout.contains("applied \(mode.rawValue):"))
                let now = try readAll(lab)
                for (key, value) in now {
                    let want = expected(mode, key: key, online: online)
                    if let cpus = want.cpus {
                        #expect(CPUSet(mask: value) == cpus, "\(mode) \(key) = \(value), want CPUs \(cpus.list)")
                    } else {
                        #expect(Int(value) == want.count, "\(mode) \(key) = \(value), want \(want.count!)")
                    }
                }
                let status = try steertop(["status", "--json"], state: lab.state)
                #expect(try JSONValue.parse(status.stdout)["mode"]?.string == mode.rawValue)
            }

            let r = try steertop(["restore"], state: lab.state)
            #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
            #expect(try readAll(lab) == original)
        }

        @Test func customCPUsAndRoundedFlowCounts() throws {
            let lab = try LabFixture(pods: 1)
            let r = try steertop(["apply", "rfs", "--rfs-with-rps", "--cpus", "1", "--flow-entries", "5000"], state: lab.state)
            #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
            #expect(r.stdout.contains("(kernel: 8192)"))
            #expect(r.stdout.contains("the kernel rounds it up to 8192"))
            #expect(try catInNetns("", SteeringFile.sockFlowEntriesPath) == "8192")
            #expect(try catInNetns("steer-server", "/sys/class/net/vxlan.calico/queues/rx-0/rps_flow_cnt") == "8192")
            #expect(CPUSet(mask: try catInNetns("steer-server", "/sys/class/net/eth1/queues/rx-0/rps_cpus")) == CPUSet([1]))
            let status = try steertop(["status", "--json"], state: lab.state)
            #expect(try JSONValue.parse(status.stdout)["mode"]?.string == "rfs")
        }

        @Test func aNamedInterfaceTheNodeLacksIsAWarningNotAFailure() throws {
            let lab = try LabFixture(pods: 1)
            // A cluster node whose NIC is not eth1: vxlan.calico and cali* are still steered.
            let r = try steertop(["apply", "rps", "--node-netns", "steer-server", "--iface", "eth9,vxlan.calico,cali*"], state: lab.state)
            #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
            #expect(r.stdout.contains("warning: interface eth9 not found in netns steer-server"))
            #expect(r.stdout.contains("applied rps:"))
            #expect(CPUSet(mask: try catInNetns("steer-server", "/sys/class/net/vxlan.calico/queues/rx-0/rps_cpus"))?.isEmpty == false)
        }

        @Test func dryRunChangesNothing() throws {
            let lab = try LabFixture(pods: 1)
            let before = try readAll(lab)
            let r = try steertop(["apply", "rps+", "--dry-run"], state: lab.state)
            #expect(r.status == 0)
            #expect(r.stdout.contains("plan: rps+ on the lab"))
            #expect(r.stdout.contains("/sys/class/net/eth1/queues/rx-0/rps_cpus"))
            #expect(try readAll(lab) == before)
            #expect(!LibC.access(lab.state.path + "/snapshots", 0))
        }

        @Test func aNamespaceThatDisappearsMidApplyIsReported() throws {
            let lab = try LabFixture(pods: 2)
            let target = try LocalSteeringTarget(node: "steer-server", pods: ["steer-server-pod*"])
            let plan = SteerKit.Steering.plan(.rpsPlus, target: target, config: SteeringConfig())
            try Command.check(["ip", "netns", "del", "steer-server-pod2"])
            let result = SteerKit.Steering.apply(plan, target: target)
            #expect(!result.ok)
            #expect(result.errors.contains { $0.contains("steer-server-pod2") })
            // What took effect is listed exactly: the node and pod1, not pod2.
            #expect(result.written.contains { $0.file.netns == "steer-server-pod1" })
            #expect(!result.written.contains { $0.file.netns == "steer-server-pod2" })
            #expect(result.written.contains { $0.file.netns == "steer-server" && $0.file.iface == "eth1" })
            _ = lab
        }

        @Test func labDownLeavesNothing() throws {
            let lab = try LabFixture(pods: 2)
            let t = try steertop(["lab", "traffic", "--replicas", "2", "--duration", "30", "--detach"], state: lab.state)
            #expect(t.status == 0, "\(t.stderr)")
            let up = try steertop(["lab", "up", "--pods", "2"], state: lab.state)
            #expect(up.status == 0 && up.stderr.contains("already up"), "lab up twice is safe: \(up.stderr)")
            let down = try steertop(["lab", "down"], state: lab.state)
            #expect(down.status == 0)
            let namespaces = try Command.check(["ip", "netns", "list"])
            #expect(!namespaces.contains("steer-client") && !namespaces.contains("steer-server"), "\(namespaces)")
            let labProcesses = Processes.find { pid in
                Processes.commandLine(pid).contains { $0.hasPrefix(lab.state.path) }
            }.filter { !Processes.commandLine($0).isEmpty }
            #expect(labProcesses.isEmpty, "lab processes left: \(labProcesses)")
            let links = try Command.check(["ip", "-o", "link"])
            #expect(!links.contains("steer-"))
            let status = try steertop(["lab", "status", "--json"], state: lab.state)
            #expect(try JSONValue.parse(status.stdout)["up"]?.bool == false)
        }

        @Test func labDownCleansUpAHalfBuiltLab() throws {
            let state = TestState()
            defer {
                _ = try? Command.run(["ip", "netns", "del", "steer-server"])
                _ = try? Command.run(["ip", "netns", "del", "steer-server-pod1"])
            }
            // A crash midway through lab up: namespaces and a server, no state file.
            try Command.check(["ip", "netns", "add", "steer-server"])
            try Command.check(["ip", "netns", "add", "steer-server-pod1"])
            let pid = try Command.run(["ip", "netns", "exec", "steer-server-pod1", "iperf3", "-s", "-D", "-p", "5201",
                                       "--logfile", state.path + "/lab/iperf3/x.log", "-I", state.path + "/x.pid"])
            _ = pid
            let status = try steertop(["lab", "status"], state: state)
            #expect(status.stdout.contains("half-built"))
            let down = try steertop(["lab", "down"], state: state)
            #expect(down.status == 0)
            #expect(down.stdout.contains("deleted 2 namespaces"))
            let namespaces = try Command.check(["ip", "netns", "list"])
            #expect(!namespaces.contains("steer-server"))
        }
    }
}
