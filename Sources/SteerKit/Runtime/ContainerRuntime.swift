/// A pod sandbox as the node's container runtime knows it, without an API server.
public struct RuntimePod: Equatable, Sendable {
    /// The Kubernetes namespace and name (the kubelet's io.kubernetes.pod.* labels).
    public var namespace: String
    public var name: String
    /// The pod's network namespace under /var/run/netns (cni-<uuid>).
    public var netns: String

    public init(namespace: String, name: String, netns: String) {
        self.namespace = namespace; self.name = name; self.netns = netns
    }

    /// "namespace/name", as kubectl writes a pod.
    public var label: String { namespace + "/" + name }
}

/// Pod identity from containerd's CRI plugin, through containerd's own client:
/// `ctr -a SOCKET -n k8s.io containers ls -q labels."io.cri-containerd.kind"==sandbox`, then
/// `ctr … containers info ID` per sandbox for the kubelet's labels
/// (io.kubernetes.pod.name, io.kubernetes.pod.namespace) and the OCI spec's network
/// namespace path. Looked up when the set of namespaces changes, never per tick.
public enum ContainerRuntime {
    /// containerd's default socket (its config's [grpc] address).
    public static let defaultSocket = "/run/containerd/containerd.sock"

    /// The pods of the runtime at `socket`, by network namespace name; or one line saying
    /// why they cannot be known (no ctr, no socket, containerd not answering).
    public static func pods(socket: String = defaultSocket, timeout: Double = 10) -> Result<[String: RuntimePod], SteerError> {
        do throws(SteerError) {
            try checkSocket(socket)
            guard Command.exists("ctr") else {
                return .failure(.notFound("ctr (containerd's client) is not installed: pods are shown by their netns names; install containerd's ctr or name pods with --pods-selector"))
            }
            let base = ["ctr", "-a", socket, "-n", "k8s.io", "containers"]
            let ids = try ctr(base + ["ls", "-q", "labels.\"io.cri-containerd.kind\"==sandbox"], socket: socket, timeout: timeout)
                .split(separator: "\n").map(String.init).filter { !$0.isEmpty }
            var out: [String: RuntimePod] = [:]
            for id in ids where id.utf8.allSatisfy({ isHex($0) }) {
                // A sandbox removed between the two calls is simply not there any more.
                guard let text = try? ctr(base + ["info", id], socket: socket, timeout: timeout),
                      let pod = try? parseInfo(text) else { continue }
                out[pod.netns] = pod
            }
            return .success(out)
        } catch {
            return .failure(error)
        }
    }

    /// A RuntimePod from `ctr containers info` JSON; nil for a sandbox in the host's network
    /// namespace (hostNetwork) or one without the kubelet's labels.
    public static func parseInfo(_ json: String) throws(SteerError) -> RuntimePod? {
        let info: JSONValue
        do { info = try JSONValue.parse(json) } catch { throw .invalid("ctr containers info printed no JSON") }
        guard let labels = info["Labels"], let name = labels["io.kubernetes.pod.name"]?.string,
              let namespace = labels["io.kubernetes.pod.namespace"]?.string else { return nil }
        let netnsPath = (info["Spec"]?["linux"]?["namespaces"]?.array ?? [])
            .first { $0["type"]?.string == "network" }?["path"]?.string
        guard let netnsPath, let netns = netnsPath.split(separator: "/").last.map(String.init),
              (try? Names.checkNamespace(netns)) != nil else { return nil }
        let pod = RuntimePod(namespace: namespace, name: name, netns: netns)
        guard (try? Names.checkPodLabel(pod.label)) != nil else { return nil }
        return pod
    }

    /// The socket must be an absolute path to a socket that exists: one clear line otherwise.
    static func checkSocket(_ socket: String) throws(SteerError) {
        guard socket.hasPrefix("/"), !socket.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) else {
            throw .invalid("--runtime-endpoint \(SteerError.quote(socket)) is not an absolute path to containerd's socket")
        }
        guard case .success(let st) = LibC.stat(socket) else {
            throw .notFound("containerd's socket \(socket) does not exist: is containerd running on this node? (--runtime-endpoint names another socket)")
        }
        guard st.isSocket else {
            throw .invalid("\(socket) is not a socket (--runtime-endpoint names containerd's socket, e.g. \(defaultSocket))")
        }
    }

    static func ctr(_ argv: [String], socket: String, timeout: Double) throws(SteerError) -> String {
        let r = try Command.run(argv, timeout: timeout)
        guard r.status == 0 else {
            let last = r.stderr.split(separator: "\n").last.map(String.init) ?? ""
            for (said, reason) in [("connection refused", "connection refused"), ("deadline exceeded", "no answer in time"),
                                   ("permission denied", "permission denied")] where last.contains(said) {
                throw .notFound("containerd does not answer on \(socket) (\(reason)): is it running? start it, or name its socket with --runtime-endpoint")
            }
            throw .commandFailed(command: Array(argv.prefix(7)), status: r.status, output: r.stderr)
        }
        return r.stdout
    }

    @inline(__always) static func isHex(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66)
    }
}
