#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// One pod of the lab.
public struct LabPod: Equatable, Sendable {
    public enum Side: String, Sendable { case client, server }
    public var side: Side
    public var index: Int

    public init(side: Side, index: Int) {
        self.side = side
        self.index = index
    }

    /// The pod's network namespace: steer-server-pod1.
    public var netns: String { "steer-\(side.rawValue)-pod\(index)" }
    /// The Kubernetes-style pod name (in the namespace `Lab.kubernetesNamespace`).
    public var podName: String { "iperf3-\(side.rawValue)-\(index)" }
    /// The node's namespace.
    public var node: String { side == .client ? Lab.clientNode : Lab.serverNode }
    /// The host-side veth, named as Calico names it: "cali" + sha1("<ns>.<pod>")[0..<11].
    public var cali: String { Calico.interfaceName(namespace: Lab.kubernetesNamespace, pod: podName) }
    /// The pod's /32 address (used only inside the lab's namespaces).
    public var address: String { "10.66.\(side == .client ? 1 : 2).\(10 + index)" }
    /// A fixed MAC for the pod's eth0 (so that neighbours can be static).
    public var mac: String {
        let hex = String(index, radix: 16)
        return "02:66:0\(side == .client ? 1 : 2):00:\(index > 255 ? "ff" : (index < 16 ? "0" + hex : hex)):01"
    }
}

/// What `lab status` reports.
public struct LabStatus: Sendable {
    public var namespaces: [String]
    public var pods: Int
    public var servers: [(pod: String, pid: Int32?, running: Bool)]
    public var clients: [(pod: String, pid: Int32)]
    public var vxlanRxBytes: UInt64?
    public var isUp: Bool
    public var problems: [String]
}

/// The paper's Figure 1 on one machine: two node namespaces, steer-client and
/// steer-server, joined by a veth pair named eth1 in each (underlay 192.0.2.0/24); in each
/// node a VXLAN device vxlan.calico (VNI 4096, UDP 4789) programmed as Calico programs it
/// (a /32 tunnel address, an onlink route to the other node's pod block via its tunnel
/// address, a static ARP entry and an FDB entry for the other node's VTEP); per pod a
/// namespace with eth0 (a /32 address, default route via 169.254.1.1) and the host-side
/// cali* veth in the node (a /32 route to the pod). Server pods run `iperf3 -s`.
/// Everything it creates is named steer-*.
public enum Lab {
    public static let clientNode = "steer-client"
    public static let serverNode = "steer-server"
    public static let prefix = "steer-"
    public static let kubernetesNamespace = "steer-lab"
    public static let vni = 4096
    public static let vxlanPort = 4789
    public static let iperfPort = 5201
    /// The interfaces of a node, as the paper steers them.
    public static let nodeIfaces = SteeringConfig.defaultNodeIfaces
    /// The pods' namespaces seen from the server node.
    public static let serverPodPattern = "steer-server-pod*"

    static func underlay(_ side: LabPod.Side) -> String { side == .client ? "192.0.2.1" : "192.0.2.2" }
    static func tunnel(_ side: LabPod.Side) -> String { side == .client ? "10.66.1.0" : "10.66.2.0" }
    static func block(_ side: LabPod.Side) -> String { side == .client ? "10.66.1.0/24" : "10.66.2.0/24" }
    static func vtepMAC(_ side: LabPod.Side) -> String { side == .client ? "66:73:74:65:65:01" : "66:73:74:65:65:02" }
    static let caliMAC = "ee:ee:ee:ee:ee:ee"
    static let gateway = "169.254.1.1"

    public static func pods(_ count: Int, side: LabPod.Side) -> [LabPod] {
        (1...max(count, 1)).map { LabPod(side: side, index: $0) }
    }

    // MARK: where things are

    public static func directory(_ state: StateDirectory) -> String { state.path + "/lab" }
    public static func logDirectory(_ state: StateDirectory) -> String { directory(state) + "/iperf3" }
    static func stateFile(_ state: StateDirectory) -> String { directory(state) + "/lab.json" }
    static func pidFile(_ state: StateDirectory, _ pod: LabPod) -> String { directory(state) + "/\(pod.netns).pid" }
    static func trafficFile(_ state: StateDirectory) -> String { directory(state) + "/traffic.json" }
    /// The iperf3 log of a pod: servers log every test there, clients their current one.
    public static func logFile(_ state: StateDirectory, _ pod: LabPod) -> String { logDirectory(state) + "/\(pod.netns).log" }

    /// The lab's namespaces present now (its nodes and their pods; other steer-* names,
    /// such as the tests' own, are not the lab's).
    public static func namespaces(directory: String = "/var/run/netns") -> [String] {
        ((try? LibC.listDirectory(directory).get()) ?? []).filter { name in
            [clientNode, serverNode].contains { name == $0 || name.hasPrefix($0 + "-pod") }
        }.sorted(by: naturalOrder)
    }

    /// Whether the lab is up: both nodes exist and its state file says how many pods.
    public static func isUp(_ state: StateDirectory = .resolve()) -> Bool { podCount(state) != nil }

    /// The number of pods per node of the running lab, nil when it is not up.
    public static func podCount(_ state: StateDirectory = .resolve()) -> Int? {
        let ns = Set(namespaces())
        guard ns.contains(clientNode), ns.contains(serverNode),
              case .success(let text) = LibC.readText(stateFile(state), limit: BoundedFile.Kind.labState.limit),
              let doc = try? JSONValue.parse(text), let pods = doc["pods"]?.int else { return nil }
        return pods
    }

    /// The watch targets of the lab: the server node and its pods.
    public static var watchTargets: WatchTargets {
        WatchTargets(node: serverNode, nodeIfaces: nodeIfaces, pods: [serverPodPattern])
    }

    /// The server node's veths and the pods behind them ("steer-lab/iperf3-server-1"), matched
    /// by ifindex as a real node's are (PodVeths): the lab names its cali* as Calico does.
    public static func vethPods(_ count: Int) -> [String: String] {
        guard let node = try? NetnsView(named: serverNode) else { return [:] }
        let names = podNames(count)
        let views = pods(count, side: .server).compactMap { try? NetnsView(named: $0.netns) }
        return PodVeths.match(node: node, pods: views).mapValues { names[$0] ?? $0 }
    }

    /// Pod names by namespace, for display.
    public static func podNames(_ count: Int) -> [String: String] {
        var names: [String: String] = [:]
        for side in [LabPod.Side.client, .server] {
            for p in pods(count, side: side) { names[p.netns] = "\(kubernetesNamespace)/\(p.podName)" }
        }
        return names
    }

    // MARK: up

    /// Builds the lab with `count` pods per node and starts the iperf3 servers. Safe to
    /// run twice: a lab that is up with the same size is left alone; anything else
    /// (another size, a half-built lab) is torn down first.
    @discardableResult
    public static func up(pods count: Int, state: StateDirectory = .resolve(), log: (String) -> Void = { _ in }) throws(SteerError) -> Bool {
        guard count >= 1 && count <= 64 else { throw SteerError.invalid("--pods must be between 1 and 64 (got \(count))") }
        guard LibC.isRoot else { throw SteerError.notRoot(action: "steertop lab up") }
        for tool in ["ip", "bridge", "iperf3"] where !Command.exists(tool) {
            throw SteerError.spawn(command: tool, errno: .noSuchFileOrDirectory)
        }
        if podCount(state) == count, serversRunning(state, count) {
            log("the lab is already up with \(count) pods per node")
            return false
        }
        if !namespaces().isEmpty || LibC.access(stateFile(state), F_OK) {
            log("cleaning up a previous lab first")
            _ = down(state: state)
        }
        do {
            try build(count, state: state, log: log)
        } catch {
            log("lab up failed; removing what was built")
            _ = down(state: state)
            throw error
        }
        return true
    }

    static func build(_ count: Int, state: StateDirectory, log: (String) -> Void) throws(SteerError) {
        _ = try state.ensure("lab/iperf3")
        let client = pods(count, side: .client), server = pods(count, side: .server)

        // Namespaces, and every veth created directly with its ends in place.
        var root: [String] = ["netns add \(clientNode)", "netns add \(serverNode)"]
        root += (client + server).map { "netns add \($0.netns)" }
        try Command.check(["ip", "-batch", "-"], input: root.joined(separator: "\n") + "\n")
        var links = ["link add eth1 netns \(clientNode) type veth peer name eth1 netns \(serverNode)"]
        links += (client + server).map { "link add \($0.cali) netns \($0.node) type veth peer name eth0 netns \($0.netns)" }
        try Command.check(["ip", "-batch", "-"], input: links.joined(separator: "\n") + "\n")
        log("created \(2 + 2 * count) namespaces")

        for side in [LabPod.Side.client, .server] {
            let node = side == .client ? clientNode : serverNode
            let other: LabPod.Side = side == .client ? .server : .client
            try NetnsView.writeSysctls(netns: node, [
                ("net/ipv4/ip_forward", "1"), ("net/ipv4/conf/all/rp_filter", "0"), ("net/ipv4/conf/default/rp_filter", "0"),
            ])
            var cmds = [
                "link set lo up",
                "addr add \(underlay(side))/24 dev eth1",
                "link set eth1 up",
                "link add vxlan.calico type vxlan id \(vni) dstport \(vxlanPort) local \(underlay(side)) dev eth1 nolearning",
                "link set vxlan.calico address \(vtepMAC(side)) mtu 1450",
                "link set vxlan.calico up",
                "addr add \(tunnel(side))/32 dev vxlan.calico",
                "neigh replace \(tunnel(other)) lladdr \(vtepMAC(other)) dev vxlan.calico nud permanent",
                "route add \(block(other)) via \(tunnel(other)) dev vxlan.calico onlink",
            ]
            for p in pods(count, side: side) {
                cmds += [
                    "link set \(p.cali) address \(caliMAC) mtu 1450",
                    "link set \(p.cali) up",
                    "route add \(p.address)/32 dev \(p.cali) scope link",
                    "neigh replace \(p.address) lladdr \(p.mac) dev \(p.cali) nud permanent",
                ]
            }
            try Command.check(["ip", "-n", node, "-batch", "-"], input: cmds.joined(separator: "\n") + "\n")
            try Command.check(["bridge", "-n", node, "fdb", "append", vtepMAC(other), "dev", "vxlan.calico",
                               "dst", underlay(other), "self", "permanent"])
            for p in pods(count, side: side) {
                try NetnsView.writeSysctls(netns: node, [("net/ipv4/conf/\(p.cali)/proxy_arp", "1")])
                let podCmds = [
                    "link set lo up",
                    "link set eth0 address \(p.mac) mtu 1450",
                    "link set eth0 up",
                    "addr add \(p.address)/32 dev eth0",
                    "route add \(gateway) dev eth0 scope link",
                    "route add default via \(gateway) dev eth0",
                    "neigh replace \(gateway) lladdr \(caliMAC) dev eth0 nud permanent",
                ]
                try Command.check(["ip", "-n", p.netns, "-batch", "-"], input: podCmds.joined(separator: "\n") + "\n")
            }
        }
        log("wired eth1, vxlan.calico and \(2 * count) cali* veths")

        for p in server {
            let logPath = logFile(state, p)
            _ = LibC.unlink(logPath)
            try Command.check(["ip", "netns", "exec", p.netns, "iperf3", "-s", "-D", "-p", String(iperfPort),
                               "--forceflush", "-i", "1", "-f", "k", "--logfile", logPath, "-I", pidFile(state, p)])
        }
        // iperf3 -D returns before the pid file is written: wait for all of them.
        let deadline = LibC.monotonic() + 5
        while !serversRunning(state, count) && LibC.monotonic() < deadline { LibC.sleep(0.02) }
        guard serversRunning(state, count) else { throw SteerError.invalid("the lab's iperf3 servers did not start; see \(logDirectory(state))") }
        if case .failure(let e) = LibC.writeFileAtomically(stateFile(state), "{\"pods\": \(count), \"created\": \"\(Timestamp.now())\"}\n") {
            throw SteerError.create(path: stateFile(state), errno: e)
        }
        log("started \(count) iperf3 servers")
    }

    static func pid(from path: String) -> Int32? {
        guard case .success(let text) = LibC.readText(path, limit: BoundedFile.Kind.labState.limit) else { return nil }
        return Int32(text.trimmingCharacters())
    }

    static func serversRunning(_ state: StateDirectory, _ count: Int) -> Bool {
        pods(count, side: .server).allSatisfy { p in pid(from: pidFile(state, p)).map(LibC.processExists) ?? false }
    }

    // MARK: down

    /// Removes every namespace of the lab (and so its links) and every process in them or started by
    /// the lab, even after a crash or a half-built lab; puts back the global
    /// rps_sock_flow_entries if steering the lab changed it. Returns what it did.
    public static func down(state: StateDirectory = .resolve(), netnsDirectory: String = "/var/run/netns") -> [String] {
        var report: [String] = []
        let names = namespaces(directory: netnsDirectory)
        // 1. Processes: inside the lab's namespaces, or iperf3 started with the lab's logs.
        var inodes = Set<UInt64>()
        for n in names {
            if case .success(let st) = LibC.stat(netnsDirectory + "/" + n) { inodes.insert(st.inode) }
        }
        let victims = Processes.find { pid in
            if let ino = Processes.netnsInode(pid), inodes.contains(ino) { return true }
            return Processes.commandLine(pid).contains { $0.hasPrefix(logDirectory(state)) }
        }
        if !victims.isEmpty {
            Processes.terminate(victims)
            report.append("stopped \(victims.count) process\(victims.count == 1 ? "" : "es")")
        }
        // 2. Global settings the lab's steering changed (rps_sock_flow_entries).
        let key = StateDirectory.key(nodeNetns: serverNode)
        if let snap = try? Snapshot.load(state.originalSnapshot(for: key)) {
            for e in snap.files where e.file.knob == .sockFlowEntries {
                let path = SteeringFile.sockFlowEntriesPath
                if case .success(let now) = LibC.readText(path), now.trimmingCharacters() != e.value,
                   let f = try? KernelFile(path, writable: true, capacity: 64), (try? f.write(e.value)) != nil {
                    report.append("restored rps_sock_flow_entries to \(e.value)")
                }
            }
        }
        for file in [state.originalSnapshot(for: key), state.lastSnapshot(for: key)] { _ = LibC.unlink(file) }
        // 3. Namespaces: their veths and VXLAN devices go with them (the lab creates every
        //    link inside its namespaces, never in this one).
        if !names.isEmpty {
            let script = names.map { "netns del \($0)" }.joined(separator: "\n") + "\n"
            if let r = try? Command.run(["ip", "-force", "-batch", "-"], input: script), r.status != 0 {
                report.append("ip netns del: " + r.stderr.trimmingCharacters())
            }
            report.append("deleted \(names.count) namespaces")
        }
        // 4. The lab's files.
        let dir = directory(state)
        for f in (try? LibC.listDirectory(dir).get()) ?? [] where f.hasSuffix(".pid") || f.hasSuffix(".json") {
            _ = LibC.unlink(dir + "/" + f)
        }
        for f in (try? LibC.listDirectory(logDirectory(state)).get()) ?? [] { _ = LibC.unlink(logDirectory(state) + "/" + f) }
        if report.isEmpty { report.append("the lab was not up: nothing to remove") }
        return report
    }

    // MARK: status

    public static func status(state: StateDirectory = .resolve()) -> LabStatus {
        let names = namespaces()
        let count = podCount(state)
        var servers: [(String, Int32?, Bool)] = []
        for p in pods(count ?? 0, side: .server) where count != nil {
            let pid = pid(from: pidFile(state, p))
            servers.append((p.netns, pid, pid.map(LibC.processExists) ?? false))
        }
        var problems: [String] = []
        if count == nil && !names.isEmpty {
            problems.append("\(names.count) lab namespaces but no lab state in \(directory(state)): a half-built lab, or one started with another state directory (STEERTOP_STATE_DIR) or by another user; `steertop lab down` removes it")
        }
        var vxlan: UInt64?
        if count != nil, let view = try? NetnsView(named: serverNode) {
            var counters: [NetDevCounters] = []
            if (try? view.readNetDev(into: &counters)) != nil {
                vxlan = counters.first { $0.name == "vxlan.calico" }?.rxBytes
            }
        }
        let clients = Traffic.running(state: state).map { ($0.pod, $0.pid) }
        return LabStatus(namespaces: names, pods: count ?? 0, servers: servers, clients: clients, vxlanRxBytes: vxlan,
                         isUp: count != nil && servers.allSatisfy(\.2), problems: problems)
    }
}

/// Processes found through /proc.
public enum Processes {
    /// Every pid for which `match` is true (not steertop itself).
    public static func find(_ match: (Int32) -> Bool) -> [Int32] {
        let me = LibC.pid
        return ((try? LibC.listDirectory("/proc").get()) ?? []).compactMap { Int32($0) }.filter { $0 != me && match($0) }
    }

    /// The inode of a process's network namespace (/proc/PID/ns/net → "net:[4026532]").
    public static func netnsInode(_ pid: Int32) -> UInt64? {
        guard let link = LibC.readLink("/proc/\(pid)/ns/net"), link.hasPrefix("net:["), link.hasSuffix("]") else { return nil }
        return UInt64(link.dropFirst(5).dropLast())
    }

    public static func commandLine(_ pid: Int32) -> [String] {
        guard case .success(let text) = LibC.readText("/proc/\(pid)/cmdline") else { return [] }
        return text.split(separator: "\0").map(String.init)
    }

    /// SIGTERM, then SIGKILL for those still there after a second; reaps our children.
    public static func terminate(_ pids: [Int32]) {
        for p in pids { LibC.kill(p, SIGTERM) }
        if !waitForExit(pids, seconds: 1) {
            // Only those still there: a pid already reaped may belong to someone else now.
            let left = pids.filter { LibC.processExists($0) && !isZombie($0) }
            for p in left { LibC.kill(p, SIGKILL) }
            _ = waitForExit(left, seconds: 1)
        }
    }

    /// Waits until the processes exit (reaping those that are our children) or `seconds`
    /// pass; false on timeout or when `interrupted` says to stop.
    public static func waitForExit(_ pids: [Int32], seconds: Double, interrupted: () -> Bool = { false }) -> Bool {
        let deadline = LibC.monotonic() + seconds
        var left = pids
        while true {
            left = left.filter { pid in
                // Our child: reaped once it exits. Anyone else's: gone, or a zombie.
                if let status = LibC.wait(pid, block: false), status != -1 { return false }
                return LibC.processExists(pid) && !isZombie(pid)
            }
            if left.isEmpty { return true }
            if interrupted() || LibC.monotonic() >= deadline { return false }
            LibC.sleep(0.05)
        }
    }

    static func isZombie(_ pid: Int32) -> Bool {
        guard case .success(let text) = LibC.readText("/proc/\(pid)/stat"),
              let close = text.lastIndex(of: ")") else { return false }
        return text[text.index(after: close)...].trimmingCharacters().hasPrefix("Z")
    }
}
