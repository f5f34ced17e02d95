/// A pod found with `kubectl get pods`.
public struct KubePod: Equatable, Sendable {
    public var namespace: String
    public var name: String
    public var ip: String?
    public var node: String?

    public init(namespace: String, name: String, ip: String?, node: String?) {
        self.namespace = namespace; self.name = name; self.ip = ip; self.node = node
    }

    /// "default/iperf3-server-7c9f": the label steertop shows and the `netns` of its files.
    public var label: String { "\(namespace)/\(name)" }

    /// The name Calico gives the pod's host-side veth: "cali" + the first 11 hex digits of
    /// sha1("<namespace>.<pod>").
    public var caliInterface: String { "cali" + String(SHA1.hex("\(namespace).\(name)").prefix(11)) }
}

extension Kubectl {
    /// Pods from `kubectl get pods -o json` output.
    public static func pods(fromJSON text: String) throws(SteerError) -> [KubePod] {
        let doc: JSONValue
        do { doc = try JSONValue.parse(text) } catch {
            throw SteerError.invalid("kubectl get pods printed something that is not JSON: \(error)")
        }
        guard let items = doc["items"]?.array else { throw SteerError.invalid("kubectl get pods: no items in its output") }
        return items.compactMap { item in
            guard let name = item["metadata"]?["name"]?.string, let ns = item["metadata"]?["namespace"]?.string,
                  (try? Names.checkPodLabel("\(ns)/\(name)")) != nil else { return nil }
            return KubePod(namespace: ns, name: name, ip: item["status"]?["podIP"]?.string, node: item["spec"]?["nodeName"]?.string)
        }
    }

    /// `kubectl get pods -l SELECTOR -o json` (all namespaces unless one is given).
    public static func listPods(selector: String?, namespace: String?) throws(SteerError) -> [KubePod] {
        // A kubeconfig that points at an unreachable cluster must not hang steertop's start.
        var argv = ["kubectl", "get", "pods", "-o", "json", "--request-timeout=5s"]
        if let selector {
            try checkSelector(selector)
            argv += ["-l", selector]
        }
        if let namespace {
            try Names.checkNamespace(namespace)
            argv += ["-n", namespace]
        } else {
            argv.append("--all-namespaces")
        }
        guard Command.exists("kubectl") else {
            throw SteerError.spawn(command: "kubectl", errno: .noSuchFileOrDirectory)
        }
        let r = try Command.run(argv, timeout: 10)
        guard r.status == 0 else {
            let line = r.stderr.split(separator: "\n").last.map(String.init) ?? "exit \(r.status)"
            throw SteerError.invalid("kubectl get pods failed: \(line) (check the kubeconfig and your rights)")
        }
        return try pods(fromJSON: r.stdout)
    }

    /// The shell script run inside a pod to list its steering files: fixed text, no user
    /// input in it; it prints "IFACE QUEUE RPS_CPUS RPS_FLOW_CNT" per rx queue.
    static let listScript = """
        cd /sys/class/net || exit 1
        for i in *; do for q in "$i"/queues/rx-*; do
          [ -r "$q/rps_cpus" ] || continue
          printf '%s %s %s %s\\n' "$i" "${q##*/}" "$(cat "$q/rps_cpus")" "$(cat "$q/rps_flow_cnt" 2>/dev/null || echo -)"
        done; done
        """

    /// The script that writes files inside a pod: remounts /sys read-write (as the paper
    /// did; the pod must be privileged) and writes each PATH VALUE pair given as arguments,
    /// printing "ok PATH" or "fail PATH REASON".
    static let writeScript = """
        mount -o remount,rw /sys 2>/dev/null
        while [ $# -ge 2 ]; do
          if err=$( { printf '%s' "$2" > "/sys/class/net/$1"; } 2>&1 ); then echo "ok $1"; else echo "fail $1 $err"; fi
          shift 2
        done
        """

    /// Parses the list script's output into (iface, queue, rps_cpus, rps_flow_cnt).
    static func parseList(_ text: String) -> [(String, Int, String, String)] {
        text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ").map(String.init)
            guard f.count == 4, (try? Names.checkInterface(f[0])) != nil, f[1].hasPrefix("rx-"),
                  let q = Int(f[1].dropFirst(3)) else { return nil }
            return (f[0], q, f[2], f[3])
        }
    }
}

/// The node on this machine, and pods reached with `kubectl exec` (for clusters where only
/// kubectl reaches them): their files are listed and written inside the pod, with /sys
/// remounted read-write as the paper did (which needs privileged pods; steering the pods'
/// namespaces from the node with --netns needs none). Every command is an argument array;
/// the scripts are fixed text and take paths and values as arguments.
public final class KubectlSteeringTarget: SteeringTarget {
    let node: LocalSteeringTarget
    public let pods: [KubePod]
    /// Values read in each pod by the last listing, by file.
    private var cache: [SteeringFile: String] = [:]
    private var listed = false

    /// The pods of `selector` that run on `kubeNode` (the Kubernetes node this machine is):
    /// the mask and flows written are this machine's, so pods elsewhere are not touched.
    public init(node: LocalSteeringTarget, selector: String, namespace: String?, kubeNode: String?) throws(SteerError) {
        self.node = node
        let all = try Kubectl.listPods(selector: selector, namespace: namespace)
        guard !all.isEmpty else { throw SteerError.invalid("no pod matches the selector \(selector)") }
        if let kubeNode, all.contains(where: { $0.node != nil }) {
            pods = all.filter { $0.node == kubeNode }
            guard !pods.isEmpty else {
                let nodes = Set(all.compactMap(\.node)).sorted().joined(separator: ", ")
                throw SteerError.invalid("no pod of \(selector) runs on node \(kubeNode) (they run on \(nodes)); run steertop on that node, or give --pods-node")
            }
        } else {
            pods = all
        }
    }

    public var summary: String { node.summary + " and \(pods.count) pod\(pods.count == 1 ? "" : "s") via kubectl" }
    public var nodeNetns: String { node.nodeNetns }
    public var podNetns: [String] { pods.map(\.label) }
    public var onlineCPUs: CPUSet { node.onlineCPUs }
    public var possibleCPUs: Int { node.possibleCPUs }
    public var podNames: [String: String] { Dictionary(uniqueKeysWithValues: pods.map { ($0.label, $0.label) }) }

    func pod(_ label: String) -> KubePod? { pods.first { $0.label == label } }

    func exec(_ pod: KubePod, script: String, arguments: [String] = []) throws(SteerError) -> String {
        let argv = ["kubectl", "exec", "-n", pod.namespace, pod.name, "--", "sh", "-c", script, "sh"] + arguments
        let r = try Command.run(argv, timeout: 60)
        guard r.status == 0 else {
            let line = r.stderr.split(separator: "\n").last.map(String.init) ?? "exit \(r.status)"
            throw SteerError.invalid("kubectl exec into \(pod.label) failed: \(line)")
        }
        return r.stdout
    }

    public func files(config: SteeringConfig) -> SteeringFileList {
        var list = node.files(config: config)
        cache = [:]
        for pod in pods {
            do {
                for (iface, q, cpus, flows) in Kubectl.parseList(try exec(pod, script: Kubectl.listScript)) where config.podIfaces.matches(iface) {
                    let c = SteeringFile(netns: pod.label, iface: iface, queue: q, knob: .rpsCPUs, isPod: true)
                    let f = SteeringFile(netns: pod.label, iface: iface, queue: q, knob: .rpsFlowCount, isPod: true)
                    cache[c] = cpus
                    cache[f] = flows
                    list.files += [c, f]
                }
            } catch {
                list.errors.append(error.description)
            }
        }
        listed = true
        return list
    }

    public func read(_ file: SteeringFile) throws(SteerError) -> String {
        guard file.isPod else { return try node.read(file) }
        if !listed { refreshPods() }
        guard let v = cache[file] else { throw SteerError.notFound("\(file) is not in pod \(file.netns) (any more)") }
        return v
    }

    public func write(_ file: SteeringFile, _ value: String) throws(SteerError) {
        if let e = write([(file, value)])[0] { throw e }
    }

    public func write(_ batch: [(SteeringFile, String)]) -> [Int: SteerError] {
        var failed: [Int: SteerError] = [:]
        var perPod: [String: [(Int, SteeringFile, String)]] = [:]
        for (i, (file, value)) in batch.enumerated() {
            if file.isPod {
                perPod[file.netns, default: []].append((i, file, value))
            } else {
                do { try node.write(file, value) } catch { failed[i] = error }
            }
        }
        for (label, writes) in perPod {
            guard let pod = pod(label) else {
                for (i, _, _) in writes { failed[i] = .notFound("pod \(label) is gone") }
                continue
            }
            let args = writes.flatMap { (_, f, v) in ["\(f.iface ?? "")/queues/rx-\(f.queue ?? 0)/\(f.knob.rawValue)", v] }
            do {
                let out = try exec(pod, script: Kubectl.writeScript, arguments: args)
                let ok = Set(out.split(separator: "\n").filter { $0.hasPrefix("ok ") }.map { String($0.dropFirst(3)) })
                for (i, f, v) in writes where !ok.contains("\(f.iface ?? "")/queues/rx-\(f.queue ?? 0)/\(f.knob.rawValue)") {
                    failed[i] = .invalid("cannot write \"\(v)\" to \(f.path) in pod \(label): /sys is read-only there unless the pod is privileged (the paper's method); steering the pod's namespace from the node (--netns) needs no privileges")
                }
            } catch {
                for (i, _, _) in writes { failed[i] = error }
            }
        }
        return failed
    }

    public func refresh() {
        node.refresh()
        refreshPods()
    }

    public func takeNotices() -> [String] { node.takeNotices() }

    public var vethPods: [String: String] { node.vethPods }

    private func refreshPods() {
        for pod in pods {
            guard let out = try? exec(pod, script: Kubectl.listScript) else { continue }
            for (iface, q, cpus, flows) in Kubectl.parseList(out) {
                cache[SteeringFile(netns: pod.label, iface: iface, queue: q, knob: .rpsCPUs, isPod: true)] = cpus
                cache[SteeringFile(netns: pod.label, iface: iface, queue: q, knob: .rpsFlowCount, isPod: true)] = flows
            }
        }
        listed = true
    }
}

/// Pod names for the pods' network namespaces on this node, when kubectl can tell: a
/// pod's IP is matched to the IPv4 address of eth0 in each namespace (read once with
/// `ip -n NS`, not per tick).
public enum PodNames {
    public static func resolve(netns: [String]) -> [String: String] {
        guard !netns.isEmpty, Command.exists("kubectl"), let pods = try? Kubectl.listPods(selector: nil, namespace: nil) else {
            return [:]
        }
        var byIP: [String: KubePod] = [:]
        for p in pods { if let ip = p.ip { byIP[ip] = p } }
        var names: [String: String] = [:]
        for ns in netns where (try? Names.checkNamespace(ns)) != nil {
            guard let r = try? Command.run(["ip", "-n", ns, "-o", "-4", "addr", "show"], timeout: 5), r.status == 0 else { continue }
            for line in r.stdout.split(separator: "\n") {
                let f = line.split(separator: " ")
                guard let i = f.firstIndex(of: "inet"), i + 1 < f.count else { continue }
                let ip = String(f[i + 1].split(separator: "/")[0])
                if let pod = byIP[ip] { names[ns] = pod.label }
            }
        }
        return names
    }
}
