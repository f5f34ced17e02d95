import Testing
import SteerKit

#if canImport(Glibc)
import Glibc
#endif

/// A pod sandbox made through CRI by the tests' stand-in kubelet (Tests/cri/kubelet.py).
struct CRIPod {
    var id: String
    var name: String
    var namespace: String
    /// The name under /var/run/netns (cni-<uuid>).
    var netns: String
    var ip: String
    /// The pause process, which holds the pod's namespaces.
    var pid: Int
}

/// A containerd of the tests' own (config, root, state and socket in /tmp/steer-cri-*),
/// with pods made through CRI as the kubelet makes them: runc, real CNI plugins (ptp),
/// /var/run/netns/cni-*. Everything is stopped and removed when the value goes away, even
/// if the test failed; `kubelet.py up` first removes what a crashed run left.
final class CRIPods {
    static let kubelet = repositoryRoot + "/Tests/cri/kubelet.py"
    let dir: String
    let socket: String
    private(set) var pods: [CRIPod]
    let sockFlowEntries: String

    init(count: Int, prefix: String = "pod") throws {
        sockFlowEntries = try catInNetns("", SteeringFile.sockFlowEntriesPath)
        let out = try Command.run(["python3", Self.kubelet, "up", "--pods", String(count), "--prefix", prefix], timeout: 600)
        guard out.status == 0 else {
            throw SteerError.commandFailed(command: ["kubelet.py", "up"], status: out.status, output: out.stderr)
        }
        let json = try JSONValue.parse(out.stdout)
        dir = json["dir"]?.string ?? ""
        socket = json["socket"]?.string ?? ""
        pods = (json["pods"]?.array ?? []).map(Self.pod)
    }

    private var crashed = false

    deinit {
        if !crashed { _ = try? Command.run(["python3", Self.kubelet, "down", dir], timeout: 300) }
        if let now = try? catInNetns("", SteeringFile.sockFlowEntriesPath), now != sockFlowEntries,
           let f = try? KernelFile(SteeringFile.sockFlowEntriesPath, writable: true) {
            try? f.write(sockFlowEntries)
        }
    }

    /// What a crashed run leaves: containerd killed, its pods, shims, mounts and
    /// namespaces left where they are (the next `kubelet.py up` must clear them).
    func crash() {
        crashed = true
        if let pid = Int32(((try? LibC.readText(dir + "/containerd.pid").get()) ?? "").trimmingCharacters()) { _ = LibC.kill(pid, SIGKILL) }
    }

    static func pod(_ j: JSONValue) -> CRIPod {
        CRIPod(id: j["id"]?.string ?? "", name: j["name"]?.string ?? "", namespace: j["namespace"]?.string ?? "",
               netns: j["netns"]?.string ?? "", ip: j["ip"]?.string ?? "", pid: j["pid"]?.int ?? 0)
    }

    /// Runs a kubelet.py subcommand on this containerd; its stdout.
    @discardableResult
    func kubelet(_ args: [String]) throws -> String {
        let argv = ["python3", Self.kubelet, args[0], dir] + args.dropFirst()
        return try Command.check(argv, timeout: 300)
    }

    /// Stops and removes a pod, as the kubelet does when it is deleted.
    func remove(_ pod: CRIPod) throws {
        try kubelet(["rmpod", pod.id])
        pods.removeAll { $0.id == pod.id }
    }

    /// The host-side end of the pod's veth: the interface whose ifindex is the pod's eth0 iflink.
    func hostVeth(_ pod: CRIPod) throws -> String {
        let iflink = try catInNetns(pod.netns, "/sys/class/net/eth0/iflink")
        for name in try Command.check(["ls", "/sys/class/net"]).split(separator: "\n") {
            if (try? catInNetns("", "/sys/class/net/\(name)/ifindex")) == iflink { return String(name) }
        }
        throw SteerError.notFound("no host interface has ifindex \(iflink) (pod \(pod.name))")
    }

    /// Whether the superblock of the pod's own /sys (the pause process's mount) is
    /// read-only: the last field of its /proc/PID/mountinfo line holds the super options.
    func podSysfsReadOnly(_ pod: CRIPod) throws -> Bool {
        let info = try Command.check(["cat", "/proc/\(pod.pid)/mountinfo"])
        guard let line = info.split(separator: "\n").first(where: { $0.split(separator: " ")[4] == "/sys" }) else {
            throw SteerError.notFound("pod \(pod.name) has no /sys mount")
        }
        let fields = line.split(separator: " ")
        let mountOptions = fields[5].split(separator: ",")
        let superOptions = fields.last!.split(separator: ",")
        #expect(mountOptions.contains("ro"), "runc mounts a pod's /sys read-only")
        return superOptions.contains("ro")
    }
}
