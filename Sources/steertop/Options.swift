import ArgumentParser
import SteerKit

/// What to watch and steer: shared by live, sample, record, apply, status and restore.
struct TargetOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Node interfaces: names and globs, comma-separated.",
                               discussion: "Default: all but lo to watch; eth1,vxlan.calico,cali* to steer and to recognise the mode."))
    var iface: String?

    @Option(help: ArgumentHelp("Pods' network namespaces: names and globs, comma-separated (e.g. 'cni-*').",
                               valueName: "patterns"))
    var netns: String?

    @Option(help: ArgumentHelp("Treat this named network namespace as the node (the lab: steer-server).", valueName: "name"))
    var nodeNetns: String?

    @Option(help: ArgumentHelp("Interfaces inside the pods (default: all but lo).", valueName: "patterns"))
    var podIface: String?

    @Option(help: ArgumentHelp("Where named network namespaces are.", valueName: "dir"))
    var netnsDir: String = "/var/run/netns"

    @Option(help: ArgumentHelp("containerd's socket, where pod names come from (ctr -n k8s.io).", valueName: "socket"))
    var runtimeEndpoint: String = ContainerRuntime.defaultSocket

    @Flag(help: "This host even when the lab is up.")
    var host = false

    @Option(help: ArgumentHelp("Steer the pods with this label through `kubectl exec` (they must be privileged to remount /sys).",
                               valueName: "selector"))
    var podsSelector: String?

    @Option(help: ArgumentHelp("With --pods-selector: the pods of this Kubernetes node (default: this host's name).",
                               valueName: "node"))
    var podsNode: String?

    @Option(help: ArgumentHelp("The Kubernetes namespace of --pods-selector (default: all).", valueName: "namespace"))
    var podsNamespace: String?

    func validate() throws {
        do {
            if let iface { _ = try Names.patterns(iface, kind: "interface") }
            if let podIface { _ = try Names.patterns(podIface, kind: "interface") }
            if let netns { _ = try Names.patterns(netns, kind: "namespace") }
            if let nodeNetns { try Names.checkNamespace(nodeNetns) }
            if let podsSelector { try Kubectl.checkSelector(podsSelector) }
            if let podsNamespace { try Names.checkNamespace(podsNamespace) }
        } catch {
            throw ValidationError(error.description)
        }
        guard runtimeEndpoint.hasPrefix("/"), !runtimeEndpoint.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) else {
            throw ValidationError("--runtime-endpoint must be an absolute path to containerd's socket (e.g. \(ContainerRuntime.defaultSocket))")
        }
    }

    /// The network namespaces containerd's CRI plugin makes for pods.
    static let runtimePods = "cni-*"

    var isDefault: Bool {
        iface == nil && netns == nil && nodeNetns == nil && podIface == nil && !host && podsSelector == nil
    }

    /// The targets: the lab's server node and pods when the lab is up and nothing else was
    /// asked for (said in one line on stderr), else what the options say.
    func resolve(quiet: Bool = false) throws -> ResolvedTarget {
        let state = StateDirectory.resolve()
        if isDefault, let pods = Lab.podCount(state) {
            if !quiet {
                note("target: the lab (steer-server and its \(pods) pods); --host for this host")
            }
            return ResolvedTarget(
                watch: Lab.watchTargets, steering: SteeringConfig(), isLab: true,
                summary: "the lab: steer-server and \(pods) pods", podNames: Lab.podNames(pods), vethPods: Lab.vethPods(pods))
        }
        let ifaces = try iface.map { try Names.patterns($0, kind: "interface") }
        let podIfaces = NamePatterns(try podIface.map { try Names.patterns($0, kind: "interface") } ?? [])
        var pods = try netns.map { try Names.patterns($0, kind: "namespace") } ?? []
        // On a containerd node, its pods by default (the name containerd gives their namespaces).
        if netns == nil, let found = try? NetnsView.namespaces(matching: [Self.runtimePods], directory: netnsDir).get(), !found.isEmpty {
            pods = [Self.runtimePods]
        }
        let node = nodeNetns ?? ""
        let watch = WatchTargets(node: node, nodeIfaces: NamePatterns(ifaces ?? []), pods: pods,
                                 podIfaces: podIfaces, netnsDirectory: netnsDir)
        // Pod names from the runtime (else kubectl) and the pods' node-side veths, whatever
        // the CNI named them: steered with the node's interfaces unless --iface says otherwise.
        let present = pods.isEmpty ? [] : (try? NetnsView.namespaces(matching: pods, directory: netnsDir).get()) ?? []
        let directory = PodDirectory.lookUp(node: node, pods: present, netnsDirectory: netnsDir, socket: runtimeEndpoint)
        if let problem = directory.problem, !quiet { note("pod names: \(problem)") }
        let nodeIfaces = ifaces.map(NamePatterns.init)
            ?? NamePatterns(SteeringConfig.defaultNodeIfaces.patterns + directory.veths.keys.sorted(by: naturalOrder))
        let steering = SteeringConfig(nodeIfaces: nodeIfaces, podIfaces: podIfaces)
        let where_ = node.isEmpty ? "this host" : "netns \(node)"
        var vethPods: [String: String] = [:]
        for iface in directory.veths.keys { vethPods[iface] = directory.pod(ofNodeInterface: iface) }
        return ResolvedTarget(watch: watch, steering: steering, isLab: false,
                              summary: pods.isEmpty ? where_ : "\(where_) and pods \(pods.joined(separator: ","))",
                              podNames: directory.names, vethPods: vethPods, runtimeEndpoint: runtimeEndpoint,
                              podsSelector: podsSelector, podsNamespace: podsNamespace,
                              podsNode: podsNode ?? LibC.hostName())
    }
}

struct ResolvedTarget {
    var watch: WatchTargets
    /// Which interfaces steering covers (also used to recognise the mode).
    var steering: SteeringConfig
    var isLab: Bool
    var summary: String
    var podNames: [String: String]
    /// Node interface → the pod behind it ("namespace/pod" or its netns name).
    var vethPods: [String: String] = [:]
    var runtimeEndpoint: String = ContainerRuntime.defaultSocket
    var podsSelector: String? = nil
    var podsNamespace: String? = nil
    var podsNode: String? = nil

    /// The header of a recording of `session`, with the pods known now: replay names and
    /// orders rows by them as the live view does.
    func recordingHeader(_ session: SteerKit.Session, interval: Double) -> RecordingHeader {
        var header = session.header(interval: interval, argv: CommandLine.arguments, version: Steertop.version)
        header.pods = podNames
        header.veths = vethPods
        return header
    }

    /// Where modes are applied: namespaces on this node, and pods through kubectl when a
    /// selector is given.
    func steeringTarget() throws -> SteeringTarget {
        let local = try LocalSteeringTarget(node: watch.node, pods: watch.pods, netnsDirectory: watch.netnsDirectory,
                                            label: summary, podNames: podNames, vethPods: vethPods)
        guard let podsSelector else { return local }
        return try KubectlSteeringTarget(node: local, selector: podsSelector, namespace: podsNamespace, kubeNode: podsNode)
    }
}

/// How a mode is configured: shared by apply and live.
struct ModeOptions: ParsableArguments {
    @Option(help: ArgumentHelp("CPUs for rps_cpus, e.g. 0-2,5 (default: every online CPU).", valueName: "list"))
    var cpus: String?

    @Option(parsing: .unconditional,
            help: ArgumentHelp("rps_sock_flow_entries and per-device rps_flow_cnt for rfs and rfs+.", valueName: "n"))
    var flowEntries: Int = 32768

    @Flag(help: "rfs and rfs+ also set rps_cpus (the paper's scripts leave it 0).")
    var rfsWithRPS = false

    func validate() throws {
        if let cpus, CPUSet(list: cpus) == nil || CPUSet(list: cpus)!.isEmpty {
            throw ValidationError("--cpus \(cpus) is not a CPU list; write it like 0-2,5")
        }
        guard flowEntries >= 1 && flowEntries <= 1 << 29 else {
            throw ValidationError("--flow-entries must be between 1 and \(1 << 29) (got \(flowEntries))")
        }
    }

    /// `config` with these options, the CPU list checked against the target's online CPUs.
    func apply(to config: SteeringConfig, online: CPUSet) throws -> SteeringConfig {
        var c = config
        c.flowEntries = flowEntries
        c.rfsWithRPS = rfsWithRPS
        if let cpus, let set = CPUSet(list: cpus) {
            guard set.isSubset(of: online) else {
                throw SteerError.invalid("--cpus \(cpus) is outside the online CPUs (\(online.list)); the kernel would drop the others")
            }
            c.cpus = set
        }
        return c
    }
}

/// Where iperf3 throughput comes from: shared by live, record and sweep.
struct ThroughputOptions: ParsableArguments {
    @Option(name: .customLong("iperf-log"), help: ArgumentHelp("Follow an iperf3 log (like tail -F); repeat for several.", valueName: "file"))
    var iperfLogs: [String] = []

    @Option(help: ArgumentHelp("Follow `kubectl logs -f` of the pods with this label (their iperf3 servers).", valueName: "selector"))
    var iperfPods: String?

    @Option(help: ArgumentHelp("The Kubernetes namespace of --iperf-pods.", valueName: "namespace"))
    var iperfNamespace: String?

    @Flag(help: "No iperf3 streams, not even the lab's.")
    var noIperf = false

    func validate() throws {
        if let iperfPods {
            do { try Kubectl.checkSelector(iperfPods) } catch { throw ValidationError(error.description) }
        }
        for path in iperfLogs {
            // A log that does not exist yet is waited for; a directory never becomes one.
            if case .success(let st) = LibC.stat(path), !st.isRegular {
                throw ValidationError("--iperf-log \(path) is \(st.isDirectory ? "a directory" : "not a regular file"): name iperf3's log file")
            }
        }
    }

    /// The feed for a target: the lab's iperf3 logs when the target is the lab, plus
    /// what the options name; nil when there is nothing to follow.
    func feed(for target: ResolvedTarget) throws -> IperfFeed? {
        guard !noIperf else { return nil }
        let feed = IperfFeed()
        var any = false
        if target.isLab {
            feed.followLab()
            any = true
        }
        for path in iperfLogs {
            feed.follow(file: path)
            any = true
        }
        if let iperfPods {
            try feed.followKubectl(selector: iperfPods, namespace: iperfNamespace)
            any = true
        }
        return any ? feed : nil
    }
}
