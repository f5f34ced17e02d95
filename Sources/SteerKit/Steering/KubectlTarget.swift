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
