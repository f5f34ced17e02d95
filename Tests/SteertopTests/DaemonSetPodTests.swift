import Testing
import SteerKit

extension LabTests {
    /// steertop's image (deploy/build-image.sh) run under the real containerd as the kubelet
    /// runs deploy/steertop.yaml's pod: a hostNetwork, hostPID, privileged sandbox with
    /// /var/run/netns (HostToContainer), /sys and the runtime socket mounted.
    @Suite struct DaemonSetPod {
        @Test func theImageSeesNamesAndSteersTheOtherPods() throws {
            let cri = try CRIPods(count: 2)
            let data = TemporaryDirectory()
            // /run/netns: /var/run is a symlink to it here, and containerd checks the propagation of the real path.
            // The debug binary beside the tests: build-image.sh adds the Swift runtime libraries ldd lists.
            let image = cri.dir + "/steertop-image.tar"
            let built = try Command.run(["bash", repositoryRoot + "/deploy/build-image.sh", image], timeout: 300,
                                        environment: LibC.currentEnvironment() + ["STEERTOP_BINARY=\(steertopBinary)"])
            #expect(built.status == 0, "\(built.stderr)")
            try cri.kubelet(["image", image])
            let sandbox = try JSONValue.parse(try cri.kubelet(["pod", "steertop-abcde", "--host"]))
            let podID = try #require(sandbox["id"]?.string)
            let started = try JSONValue.parse(try cri.kubelet([
                "container", podID, "steertop", "steertop.local/steertop:1", "--privileged",
                "--mount", "/run/netns:/var/run/netns:rslave", "--mount", "/sys:/sys",
                "--mount", "\(cri.socket):/run/containerd/containerd.sock", "--mount", "\(data.path):/var/lib/steertop",
                "--env", "STEERTOP_STATE_DIR=/var/lib/steertop/state",
                "--", "/usr/local/bin/steertop", "record", "--interval", "1", "--out", "/var/lib/steertop/node.jsonl",
            ]))
            let container = try #require(started["id"]?.string)
            func exec(_ args: [String]) throws -> CommandOutput {
                try Command.run(["python3", CRIPods.kubelet, "exec", cri.dir, container, "--", "/usr/local/bin/steertop"] + args, timeout: 180)
            }

            // The recorder runs: samples reach the node's disk.
            let deadline = LibC.monotonic() + 60
            var lines = 0
            while LibC.monotonic() < deadline {
                lines = ((try? LibC.readText(data.path + "/node.jsonl").get()) ?? "").split(separator: "\n").count
                if lines >= 3 { break }
                _ = LibC.sleep(0.2)
            }
            #expect(lines >= 3, "the DaemonSet's recorder writes a sample a second")

            // It names the other pods from the runtime and finds their veths.
            let status = try exec(["status", "--json"])
            #expect(status.status == 0, "\(status.stderr)")
            let files = try JSONValue.parse(status.stdout)["files"]?.array ?? []
            for p in cri.pods {
                #expect(files.contains { $0["netns"]?.string == p.netns && $0["pod"]?.string == "steer-test/\(p.name)" }, "\(status.stdout)")
                let veth = try cri.hostVeth(p)
                #expect(files.contains { $0["path"]?.string == "/sys/class/net/\(veth)/queues/rx-0/rps_cpus" && $0["vethOf"]?.string == "steer-test/\(p.name)" })
            }

            // It steers them: read back from outside, the pods' sysfs read-only again.
            let online = CPUSet(list: try catInNetns("", "/sys/devices/system/cpu/online"))!
            let r = try exec(["apply", "rps+"])
            #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
            for p in cri.pods {
                #expect(CPUSet(mask: try catInNetns(p.netns, "/sys/class/net/eth0/queues/rx-0/rps_cpus")) == online)
                #expect(CPUSet(mask: try catInNetns("", "/sys/class/net/\(try cri.hostVeth(p))/queues/rx-0/rps_cpus")) == online)
                #expect(try cri.podSysfsReadOnly(p))
            }
            let back = try exec(["restore"])
            #expect(back.status == 0, "\(back.stdout) \(back.stderr)")
            for p in cri.pods {
                #expect(CPUSet(mask: try catInNetns(p.netns, "/sys/class/net/eth0/queues/rx-0/rps_cpus"))?.isEmpty == true)
            }
        }
    }
}
