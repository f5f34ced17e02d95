/// Kubernetes as steertop sees it: pods found with kubectl, the checks on what goes to
/// kubectl, pod names for network namespaces, and Calico's name for a pod's veth. The
/// steering through `kubectl exec` is in Steering/KubectlTarget.swift, the iperf3 logs
/// through `kubectl logs` in Throughput/IperfFeed.swift.

/// Calico's naming.
public enum Calico {
    /// The host-side veth of a pod, as Calico names it: "cali" + the first 11 hex digits of
    /// sha1("<namespace>.<pod>").
    public static func interfaceName(namespace: String, pod: String) -> String {
        "cali" + String(SHA1.hex("\(namespace).\(pod)").prefix(11))
    }
}

/// Checks on what goes to kubectl (always as an argument array, never through a shell).
public enum Kubectl {
    /// A label selector: label keys and values with = == != , ( ) and "in"/"notin" sets;
    /// no spaces outside sets, no control characters, nothing that starts like a flag.
    public static func checkSelector(_ selector: String) throws(SteerError) {
        guard !selector.isEmpty, !selector.hasPrefix("-"), selector.utf8.count <= 1024 else {
            throw SteerError.invalid("invalid label selector \(SteerError.quote(selector)) (e.g. type=server)")
        }
        for c in selector.unicodeScalars {
            let ok = c.properties.isAlphabetic || ("0"..."9").contains(c) || "=!,()._-/ ".unicodeScalars.contains(c)
            guard ok, c.value < 0x7f else {
                throw SteerError.invalid("invalid label selector \(SteerError.quote(selector)): unexpected \(SteerError.quote(String(c)))")
            }
        }
    }
}

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

    /// The name Calico gives the pod's host-side veth.
    public var caliInterface: String { Calico.interfaceName(namespace: namespace, pod: name) }
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
