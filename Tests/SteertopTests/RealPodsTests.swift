import Testing
import SteerKit

extension LabTests {
    /// Pods made by containerd's CRI plugin, as on a node: runc mounts their /sys read-only,
    /// and a network namespace has one sysfs superblock, so steertop's own sysfs mount of a
    /// pod is read-only too until steertop makes it writable for a switch.
    @Suite struct RealPods {
        /// Every steering file of the pods' eth0 and their host-side veths, read as a person
        /// would (`ip netns exec … cat`, `cat`), plus rps_sock_flow_entries.
        func readAll(_ cri: CRIPods, veths: [String]) throws -> [String: String] {
            var out: [String: String] = ["sock": try catInNetns("", SteeringFile.sockFlowEntriesPath)]
            for knob in ["rps_cpus", "rps_flow_cnt"] {
                for v in veths { out["node:\(v):\(knob)"] = try catInNetns("", "/sys/class/net/\(v)/queues/rx-0/\(knob)") }
                for p in cri.pods { out["pod:\(p.netns):\(knob)"] = try catInNetns(p.netns, "/sys/class/net/eth0/queues/rx-0/\(knob)") }
            }
            return out
        }

        /// What each mode means for a file, from the paper's table.
        func expected(_ mode: Mode, key: String, online: CPUSet) -> (cpus: CPUSet?, count: Int?) {
            if key == "sock" { return (nil, mode.usesRFS ? 32768 : 0) }
            let isPod = key.hasPrefix("pod:")
            if key.hasSuffix("rps_cpus") {
                return ((isPod ? mode == .rpsPlus : mode.usesRPSOnNode) ? online : CPUSet(), nil)
            }
            return (nil, (isPod ? mode == .rfsPlus : mode.usesRFS) ? 32768 : 0)
        }

        @Test func everyModeOnCRIPodsReadsBackAndLeavesTheirSysfsReadOnly() throws {
            let cri = try CRIPods(count: 2)
            #expect(cri.pods.count == 2)
            let state = TestState()
            let online = CPUSet(list: try catInNetns("", "/sys/devices/system/cpu/online"))!
            let veths = try cri.pods.map { try cri.hostVeth($0) }
            for p in cri.pods {
                #expect(p.netns.hasPrefix("cni-"))
                #expect(try cri.podSysfsReadOnly(p), "runc leaves the pod's sysfs superblock read-only: the case this test is about")
            }
            let original = try readAll(cri, veths: veths)
            let targets = ["--netns", cri.pods.map(\.netns).joined(separator: ","), "--iface", veths.joined(separator: ",")]

            for mode in Mode.allCases {
                let r = try steertop(["apply", mode.rawValue] + targets, state: state)
                #expect(r.status == 0, "apply \(mode): \(r.stdout) \(r.stderr)")
                #expect(r.stdout.contains("applied \(mode.rawValue):"), "\(r.stdout)")
                #expect(!r.stderr.contains("read-only"), "\(r.stderr)")
                for (key, value) in try readAll(cri, veths: veths) {
                    let want = expected(mode, key: key, online: online)
                    if let cpus = want.cpus {
                        #expect(CPUSet(mask: value) == cpus, "\(mode) \(key) = \(value), want CPUs \(cpus.list)")
                    } else {
                        #expect(Int(value) == want.count, "\(mode) \(key) = \(value), want \(want.count!)")
                    }
                }
                for p in cri.pods {
                    #expect(try cri.podSysfsReadOnly(p), "after \(mode) the pod's sysfs is read-only again, as the runtime left it")
                }
                let status = try steertop(["status", "--json"] + targets, state: state)
                #expect(try JSONValue.parse(status.stdout)["mode"]?.string == mode.rawValue)
            }

            let r = try steertop(["restore"] + targets, state: state)
            #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
            #expect(try readAll(cri, veths: veths) == original)
            for p in cri.pods { #expect(try cri.podSysfsReadOnly(p)) }
        }
    }
}
