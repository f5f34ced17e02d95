import Testing
import SteerKit

#if canImport(Glibc)
import Glibc
#endif

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

        /// With no --netns and no --iface, steertop finds containerd's pods (cni-*), names
        /// them from the runtime (no API server) and steers their node-side veths by ifindex.
        @Test func podsAreNamedFromTheRuntimeAndTheirVethsFoundByIfindex() throws {
            let cri = try CRIPods(count: 2)
            let state = TestState()
            let status = try steertop(["status", "--json", "--runtime-endpoint", cri.socket], state: state)
            #expect(status.status == 0, "\(status.stderr)")
            #expect(!status.stderr.contains("pod names:"), "\(status.stderr)")
            let files = try JSONValue.parse(status.stdout)["files"]?.array ?? []
            for p in cri.pods {
                let veth = try cri.hostVeth(p)
                let podFiles = files.filter { $0["netns"]?.string == p.netns }
                #expect(podFiles.count == 2, "rps_cpus and rps_flow_cnt of \(p.netns)'s eth0")
                #expect(podFiles.allSatisfy { $0["pod"]?.string == "steer-test/\(p.name)" })
                let vethFiles = files.filter { $0["path"]?.string?.hasPrefix("/sys/class/net/\(veth)/") == true }
                #expect(vethFiles.count == 2, "the node-side veth \(veth) is steered by default")
                #expect(vethFiles.allSatisfy { $0["vethOf"]?.string == "steer-test/\(p.name)" })
            }
            // The human table says the same.
            let table = try steertop(["status", "--runtime-endpoint", cri.socket], state: state)
            for p in cri.pods {
                #expect(table.stdout.contains("\(p.netns) [steer-test/\(p.name)]"))
                #expect(table.stdout.contains("(host) [veth of steer-test/\(p.name)]"))
            }
        }

        /// The dashboard names containerd's pods and their node veths, and names a pod made
        /// while it runs (the names are looked up again when the set of namespaces changes).
        @Test func theDashboardNamesPodsAndTheirVethsAndNewPods() throws {
            let cri = try CRIPods(count: 2)
            let state = TestState()
            let work = TemporaryDirectory()
            let live = try TmuxPane(width: 160, height: 40, command: [steertopBinary, "--host", "--runtime-endpoint", cri.socket],
                                    environment: state.environment.filter { $0.hasPrefix("STEERTOP_") || $0.hasPrefix("PATH=") }
                                        + ["TERM=xterm-256color", "LANG=C.UTF-8"],
                                    directory: work.path)
            for p in cri.pods {
                #expect(live.waitFor("steer-test/\(p.name) cni-", seconds: 20), "the pod's own row:\n\(live.text)")
                #expect(live.waitFor("steer-test/\(p.name) host", seconds: 5), "its node veth's row:\n\(live.text)")
            }
            try cri.kubelet(["pod", "pod3"])
            #expect(live.waitFor("steer-test/pod3 cni-", seconds: 30), "a pod made later is named:\n\(live.text)")
            #expect(live.waitFor("steer-test/pod3 host", seconds: 5), "and its veth:\n\(live.text)")
            live.send("q")
        }

        /// The host's own sysfs superblock read-only (as in a VM or a container that mounted
        /// it so): steered all the same, and read-only again afterwards.
        @Test func aReadOnlyHostSysfsIsSteeredAndPutBack() throws {
            func hostSuperblockReadOnly() throws -> Bool {
                let info = try Command.check(["cat", "/proc/self/mountinfo"])
                let line = try #require(info.split(separator: "\n").first { $0.split(separator: " ")[4] == "/sys" })
                return line.split(separator: " ").last!.split(separator: ",").contains("ro")
            }
            func remount(_ how: String) throws {
                // In a private mount namespace: the superblock changes, nobody's mount table does.
                try Command.check(["unshare", "-m", "--propagation", "private", "mount", "-o", "remount,\(how)", "/sys"])
            }
            let wasReadOnly = try hostSuperblockReadOnly()
            try remount("ro")
            defer { if !wasReadOnly { try? remount("rw") } }
            #expect(try hostSuperblockReadOnly())
            let state = TestState()
            let before = try catInNetns("", "/sys/class/net/lo/queues/rx-0/rps_cpus")
            let online = CPUSet(list: try catInNetns("", "/sys/devices/system/cpu/online"))!
            let r = try steertop(["apply", "rps", "--host", "--iface", "lo"], state: state)
            #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
            #expect(CPUSet(mask: try catInNetns("", "/sys/class/net/lo/queues/rx-0/rps_cpus")) == online)
            #expect(try hostSuperblockReadOnly(), "the host's sysfs is read-only again, as it was")
            let back = try steertop(["restore", "--host", "--iface", "lo"], state: state)
            #expect(back.status == 0, "\(back.stdout) \(back.stderr)")
            #expect(try catInNetns("", "/sys/class/net/lo/queues/rx-0/rps_cpus") == before)
            #expect(try hostSuperblockReadOnly())
        }

        /// containerd's socket elsewhere, or containerd stopped: one line, and the pods are
        /// still steered by their namespace names.
        @Test func noRuntimeIsOneLineAndSteeringGoesOn() throws {
            let cri = try CRIPods(count: 1)
            let state = TestState()
            let pod = cri.pods[0]
            let r = try steertop(["apply", "rps+", "--runtime-endpoint", "/run/steer-test-nothing/containerd.sock"], state: state)
            #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
            let lines = r.stderr.split(separator: "\n").filter { $0.contains("pod names:") }
            #expect(lines == ["pod names: containerd's socket /run/steer-test-nothing/containerd.sock does not exist: is containerd running on this node? (--runtime-endpoint names another socket)"])
            #expect(CPUSet(mask: try catInNetns(pod.netns, "/sys/class/net/eth0/queues/rx-0/rps_cpus"))?.isEmpty == false)
            #expect(try cri.podSysfsReadOnly(pod))
            // A socket nobody listens on (containerd stopped, its socket file left behind).
            let dead = TemporaryDirectory()
            try Command.check(["python3", "-c", "import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])", dead.path + "/containerd.sock"])
            let stopped = try steertop(["status", "--runtime-endpoint", dead.path + "/containerd.sock"], state: state)
            #expect(stopped.status == 0, "\(stopped.stderr)")
            #expect(stopped.stderr.split(separator: "\n").filter { $0.contains("pod names:") }
                    == ["pod names: containerd does not answer on \(dead.path)/containerd.sock (connection refused): is it running? start it, or name its socket with --runtime-endpoint"])

            // No ctr on PATH (a node image without containerd's client): one line too.
            let noCtr = try Command.run([steertopBinary, "status", "--runtime-endpoint", cri.socket],
                                        environment: state.environment.filter { !$0.hasPrefix("PATH=") } + ["PATH=/nonexistent"])
            #expect(noCtr.status == 0, "\(noCtr.stderr)")
            #expect(noCtr.stderr.split(separator: "\n").filter { $0.contains("pod names:") }
                    == ["pod names: ctr (containerd's client) is not installed: pods are shown by their netns names; install containerd's ctr or name pods with --pods-selector"])
            #expect(noCtr.stdout.contains(pod.netns))

            let back = try steertop(["restore"], state: state)
            #expect(back.status == 0, "\(back.stdout) \(back.stderr)")
            #expect(CPUSet(mask: try catInNetns(pod.netns, "/sys/class/net/eth0/queues/rx-0/rps_cpus"))?.isEmpty == true)
        }

        /// A pod deleted between the plan and the writes: its files fail with one line each
        /// naming the namespace, every other file is written, nothing goes unreported, and
        /// restore puts back the rest.
        @Test func aPodDeletedMidSwitchIsReportedAndTheRestApplied() throws {
            let cri = try CRIPods(count: 2)
            let (gone, kept) = (cri.pods[0], cri.pods[1])
            let target = try LocalSteeringTarget(pods: [gone.netns, kept.netns])
            let config = SteeringConfig(nodeIfaces: NamePatterns([try cri.hostVeth(kept)]))
            let snapshot = Snapshot(taken: "test", target: target.summary,
                                    files: SteerKit.Steering.state(target: target, config: config).values.compactMap { f, v in v.map { .init(file: f, value: $0) } })
            let plan = SteerKit.Steering.plan(.rpsPlus, target: target, config: config)
            try cri.remove(gone)
            let result = SteerKit.Steering.apply(plan, target: target)
            #expect(!result.ok)
            let failed = result.writes.filter(\.outcome.isFailure)
            #expect(!failed.isEmpty && failed.allSatisfy { $0.file.netns == gone.netns })
            #expect(result.errors.allSatisfy { $0.contains(gone.netns) }, "\(result.errors)")
            #expect(result.errors.contains { $0.contains("does not exist") }, "\(result.errors)")
            #expect(result.writes.filter { $0.file.netns == kept.netns }.allSatisfy { !$0.outcome.isFailure && $0.verified })
            #expect(CPUSet(mask: try catInNetns(kept.netns, "/sys/class/net/eth0/queues/rx-0/rps_cpus"))?.isEmpty == false)
            #expect(try cri.podSysfsReadOnly(kept))

            let back = SteerKit.Steering.restore(snapshot, target: target)
            #expect(back.writes.filter { $0.file.netns == kept.netns }.allSatisfy { $0.verified })
            #expect(CPUSet(mask: try catInNetns(kept.netns, "/sys/class/net/eth0/queues/rx-0/rps_cpus"))?.isEmpty == true)
        }

        /// A run that crashed (containerd killed, nothing taken down) leaves pods, namespaces
        /// and mounts; the next run removes them before it starts.
        @Test func aCrashedRunIsCleanedUpByTheNext() throws {
            var first: CRIPods? = try CRIPods(count: 1)
            let stale = first!.pods[0].netns, dir = first!.dir
            first!.crash()
            first = nil
            #expect(LibC.access("/var/run/netns/\(stale)", F_OK), "the crashed run left its pod's namespace")
            let second = try CRIPods(count: 1)
            #expect(!LibC.access("/var/run/netns/\(stale)", F_OK))
            #expect(!LibC.access(dir, F_OK))
            #expect(!(try Command.check(["cat", "/proc/self/mountinfo"])).contains(dir))
            #expect(second.pods.count == 1)
        }
    }
}
