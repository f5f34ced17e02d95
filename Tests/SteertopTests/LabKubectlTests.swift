import Testing
import SteerKit

/// A stand-in for kubectl, for the parts of steertop that reach pods only through it: the
/// "pods" are the lab's server namespaces, `exec` runs the command inside one with
/// `ip netns exec` (the kernel work is real), `logs -f --prefix` follows their iperf3 logs.
/// There is no cluster here; only kubectl itself is imitated.
final class FakeKubectl {
    let dir = TemporaryDirectory()
    var path: String { dir.path }

    init(lab: LabFixture, refuse: Bool = false, logsExitAfter: Int = 0) throws {
        var items: [String] = []
        for k in 1...lab.pods {
            let pod = LabPod(side: .server, index: k)
            items.append("""
                {"metadata": {"name": "\(pod.podName)", "namespace": "steer-lab", "labels": {"app": "iperf3-server"}},
                 "spec": {"nodeName": "steer-server"}, "status": {"podIP": "\(pod.address)", "phase": "Running"}}
                """)
        }
        dir.write("pods.json", "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\(items.joined(separator: ","))]}\n")
        let logs = Lab.logDirectory(StateDirectory(path: lab.state.path))
        let script = """
            #!/bin/sh
            # fake kubectl (tests only)
            \(refuse ? "echo 'error: You must be logged in to the server (Unauthorized)' >&2; exit 1" : "")
            case "$1" in
            get) cat "\(path)/pods.json" ;;
            exec)
                shift; [ "$1" = -n ] && shift 2
                pod=$1; shift; [ "$1" = -- ] && shift
                exec ip netns exec "steer-server-pod${pod##*-}" "$@" ;;
            logs)
                pids=""
                for f in "\(logs)"/steer-server-pod*.log; do
                    n=${f##*pod}; n=${n%.log}
                    tail -n 0 -F "$f" 2>/dev/null | sed -u "s|^|[pod/iperf3-server-$n/iperf3] |" &
                    pids="$pids $!"
                done
                \(logsExitAfter > 0 ? "sleep \(logsExitAfter); pkill -P $$; kill $pids 2>/dev/null; exit 0" : "wait") ;;
            *) echo "fake kubectl: $*" >&2; exit 2 ;;
            esac
            """
        dir.write("kubectl", script)
        try Command.check(["chmod", "+x", dir.file("kubectl")])
    }

    /// The environment with this kubectl first on PATH.
    func environment(_ state: TestState) -> [String] {
        state.environment.filter { !$0.hasPrefix("PATH=") } + ["PATH=\(path):/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
    }
}

extension LabTests {
    @Suite struct Kubectl {
        let nodeArgs = ["--node-netns", "steer-server", "--iface", "eth1,vxlan.calico,cali*"]
        let podArgs = ["--pods-selector", "app=iperf3-server", "--pods-node", "steer-server"]

        @Test func steersPodsThroughKubectlExec() throws {
            let lab = try LabFixture(pods: 2)
            let kubectl = try FakeKubectl(lab: lab)
            let r = try Command.run([steertopBinary, "apply", "rps+"] + nodeArgs + podArgs,
                                    environment: kubectl.environment(lab.state))
            #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
            #expect(r.stdout.contains("steer-lab/iperf3-server-1"))
            let online = CPUSet(list: try catInNetns("", "/sys/devices/system/cpu/online"))!
            for k in 1...2 {
                #expect(CPUSet(mask: try catInNetns("steer-server-pod\(k)", "/sys/class/net/eth0/queues/rx-0/rps_cpus")) == online)
            }
            #expect(CPUSet(mask: try catInNetns("steer-server", "/sys/class/net/vxlan.calico/queues/rx-0/rps_cpus")) == online)
            let status = try Command.run([steertopBinary, "status", "--json"] + nodeArgs + podArgs,
                                         environment: kubectl.environment(lab.state))
            #expect(try JSONValue.parse(status.stdout)["mode"]?.string == "rps+", "\(status.stdout)")
            // The snapshot holds the pods (namespace/name) and restore puts them back.
            let restore = try Command.run([steertopBinary, "restore"] + nodeArgs + podArgs, environment: kubectl.environment(lab.state))
            #expect(restore.status == 0, "\(restore.stdout)\n\(restore.stderr)")
            for k in 1...2 {
                #expect(CPUSet(mask: try catInNetns("steer-server-pod\(k)", "/sys/class/net/eth0/queues/rx-0/rps_cpus"))?.isEmpty == true)
            }
            // Pods of another node are left alone, and the message says where they run.
            let elsewhere = try Command.run([steertopBinary, "apply", "rps+"] + nodeArgs + ["--pods-selector", "app=iperf3-server"],
                                            environment: kubectl.environment(lab.state))
            #expect(elsewhere.status != 0)
            #expect(elsewhere.stderr.contains("runs on node \(LibC.hostName())") && elsewhere.stderr.contains("steer-server"),
                    "\(elsewhere.stderr)")
        }

        @Test func kubectlMissingOrRefused() throws {
            let lab = try LabFixture(pods: 1)
            let state = lab.state
            let noKubectl = state.environment.filter { !$0.hasPrefix("PATH=") } + ["PATH=/nonexistent"]
            let missing = try Command.run([steertopBinary, "apply", "rps+"] + nodeArgs + ["--pods-selector", "app=x"], environment: noKubectl)
            #expect(missing.status != 0)
            #expect(missing.stderr.contains("kubectl is not installed"), "\(missing.stderr)")
            let refusing = try FakeKubectl(lab: lab, refuse: true)
            let refused = try Command.run([steertopBinary, "apply", "rps+"] + nodeArgs + ["--pods-selector", "app=x"],
                                          environment: refusing.environment(state))
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("Unauthorized"), "\(refused.stderr)")
            #expect(refused.stderr.split(separator: "\n").count == 1)
        }

        @Test func followsKubectlLogsAndReconnects() throws {
            let lab = try LabFixture(pods: 2)
            // kubectl logs ends after 4 s, as when a pod restarts: steertop says so and reconnects.
            let kubectl = try FakeKubectl(lab: lab, logsExitAfter: 4)
            let out = lab.state.dir.file("k.jsonl")
            let recorder = try #require(try? LibC.spawn(
                [steertopBinary, "record", "--duration", "10", "--out", out, "--iperf-pods", "app=iperf3-server"] + nodeArgs,
                environment: kubectl.environment(lab.state)).get())
            defer { Processes.terminate([recorder]) }
            #expect(waitUntil { recordCount(out) >= 1 }, "the recorder samples before the traffic starts")
            _ = try steertop(["lab", "traffic", "--replicas", "2", "--duration", "7"], state: lab.state)
            #expect(Processes.waitForExit([recorder], seconds: 30))
            let samples = try RecordingReader.read(out).records.compactMap { r -> SteerKit.Sample? in
                if case .sample(let s) = r { return s } else { return nil }
            }
            let ids = Set(samples.flatMap { $0.streams.map(\.id) })
            #expect(ids.contains { $0.hasPrefix("iperf3-server-1/") } && ids.contains { $0.hasPrefix("iperf3-server-2/") }, "\(ids)")
            #expect(samples.contains { $0.missing.contains { $0.contains("reconnecting") } }, "the gap is noted")
            #expect(samples.suffix(3).contains { ($0.totalBps ?? 0) > 0 } || samples.contains { s in s.t > 6 && !s.streams.isEmpty },
                    "streams are seen again after the reconnect")
        }
    }
}
