#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// The three knobs of RPS/RFS (Documentation/networking/scaling.rst).
public enum SteeringKnob: String, Sendable, Comparable {
    case rpsCPUs = "rps_cpus"
    case rpsFlowCount = "rps_flow_cnt"
    case sockFlowEntries = "rps_sock_flow_entries"

    public static func < (a: SteeringKnob, b: SteeringKnob) -> Bool { a.order < b.order }
    var order: Int { self == .sockFlowEntries ? 0 : self == .rpsCPUs ? 1 : 2 }
}

/// One file steertop may write.
public struct SteeringFile: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// "" for the host's namespace.
    public var netns: String
    /// nil for rps_sock_flow_entries.
    public var iface: String?
    public var queue: Int?
    public var knob: SteeringKnob
    /// Whether the file belongs to a pod (a namespace other than the node's).
    public var isPod: Bool

    public static let sockFlowEntriesPath = "/proc/sys/net/core/rps_sock_flow_entries"

    public init(netns: String, iface: String, queue: Int, knob: SteeringKnob, isPod: Bool) {
        self.netns = netns; self.iface = iface; self.queue = queue; self.knob = knob; self.isPod = isPod
    }

    /// The global rps_sock_flow_entries (it exists only in the initial network namespace).
    public static let sockFlowEntries = SteeringFile(netns: "", iface: nil, queue: nil, knob: .sockFlowEntries, isPod: false)

    private init(netns: String, iface: String?, queue: Int?, knob: SteeringKnob, isPod: Bool) {
        self.netns = netns; self.iface = iface; self.queue = queue; self.knob = knob; self.isPod = isPod
    }

    /// The path inside the namespace's sysfs ("class/net/eth1/queues/rx-0/rps_cpus").
    public var sysfsPath: String {
        "class/net/\(iface ?? "")/queues/rx-\(queue ?? 0)/\(knob.rawValue)"
    }

    /// The path as a user would cat it inside the namespace.
    public var path: String {
        knob == .sockFlowEntries ? Self.sockFlowEntriesPath : "/sys/" + sysfsPath
    }

    public var description: String {
        netns.isEmpty ? path : "\(netns):\(path)"
    }

    public static func < (a: SteeringFile, b: SteeringFile) -> Bool {
        let ga = a.knob == .sockFlowEntries ? 0 : a.isPod ? 2 : 1
        let gb = b.knob == .sockFlowEntries ? 0 : b.isPod ? 2 : 1
        if ga != gb { return ga < gb }
        if a.netns != b.netns { return naturalOrder(a.netns, b.netns) }
        if a.iface != b.iface { return naturalOrder(a.iface ?? "", b.iface ?? "") }
        if a.queue != b.queue { return (a.queue ?? 0) < (b.queue ?? 0) }
        return a.knob < b.knob
    }

    /// Parses a path from a snapshot, accepting only the shapes steertop writes, with
    /// every name checked: a snapshot file cannot make steertop write anywhere else.
    public init(netns: String, path: String, isPod: Bool) throws(SteerError) {
        if isPod && netns.contains("/") {
            try Names.checkPodLabel(netns)  // a pod reached through kubectl
        } else if !netns.isEmpty {
            try Names.checkNamespace(netns)
        }
        if path == Self.sockFlowEntriesPath {
            guard netns.isEmpty else {
                throw .invalid("rps_sock_flow_entries exists only in the initial network namespace, not in \(netns)")
            }
            self = .sockFlowEntries
            return
        }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        // "", "sys", "class", "net", IFACE, "queues", "rx-N", KNOB
        guard parts.count == 8, parts[0] == "", parts[1] == "sys", parts[2] == "class", parts[3] == "net",
              parts[5] == "queues", parts[6].hasPrefix("rx-"), let q = Int(parts[6].dropFirst(3)), q >= 0,
              let knob = SteeringKnob(rawValue: parts[7]), knob != .sockFlowEntries else {
            throw .invalid("not a steering file: \(path)")
        }
        try Names.checkInterface(parts[4])
        self.init(netns: netns, iface: parts[4], queue: q, knob: knob, isPod: isPod)
    }
}

/// The steering files of a target, and what could not be listed: `errors` are files that
/// should be there and cannot be reached (a namespace that cannot be entered, a pod
/// kubectl cannot exec into): a mode is not fully applied without them. `warnings` are
/// names that match nothing (no eth1 on this node): worth saying, not a failure.
public struct SteeringFileList: Sendable {
    public var files: [SteeringFile] = []
    public var errors: [String] = []
    public var warnings: [String] = []

    public init(files: [SteeringFile] = [], errors: [String] = [], warnings: [String] = []) {
        self.files = files; self.errors = errors; self.warnings = warnings
    }
}

/// Where steering files are read and written: a node and its pods.
public protocol SteeringTarget: AnyObject {
    /// One line saying what this is ("the lab: steer-server and 4 pods").
    var summary: String { get }
    /// The node's namespace name ("" = host).
    var nodeNetns: String { get }
    /// The pods' namespace names.
    var podNetns: [String] { get }
    /// Every steering file of the node and pod interfaces selected by `config`, plus
    /// rps_sock_flow_entries, and what could not be listed.
    func files(config: SteeringConfig) -> SteeringFileList
    func read(_ file: SteeringFile) throws(SteerError) -> String
    func write(_ file: SteeringFile, _ value: String) throws(SteerError)
    /// Online CPUs and nr_cpu_ids of the machine the files belong to.
    var onlineCPUs: CPUSet { get }
    var possibleCPUs: Int { get }
    /// Pod names by namespace, where known.
    var podNames: [String: String] { get }
    /// The pod ("namespace/pod", or its netns name) behind each node interface that is a
    /// pod's veth peer, where known (PodVeths).
    var vethPods: [String: String] { get }
    /// Writes several files; returns the error of each one that failed, by index. Targets
    /// that reach files slowly (kubectl exec) write a pod's files in one go.
    func write(_ batch: [(SteeringFile, String)]) -> [Int: SteerError]
    /// Forgets cached values, so that reads after writes see the kernel's.
    func refresh()
    /// What the last `write` did besides writing that the user should know (a read-only
    /// sysfs that could not be put back), once: the list is emptied.
    func takeNotices() -> [String]
}

extension SteeringTarget {
    public func write(_ batch: [(SteeringFile, String)]) -> [Int: SteerError] {
        var failed: [Int: SteerError] = [:]
        for (i, (file, value)) in batch.enumerated() {
            do { try write(file, value) } catch { failed[i] = error }
        }
        return failed
    }

    public func refresh() {}

    public func takeNotices() -> [String] { [] }

    public var vethPods: [String: String] { [:] }
}

/// Namespaces on this machine: the host (or a named node namespace, like the lab's
/// steer-server) and pods as named namespaces (/var/run/netns/cni-* under containerd).
/// Files are read and written in-process through each namespace's NetnsView, which is
/// kept for the life of the target: no process is spawned per file or per switch.
public final class LocalSteeringTarget: SteeringTarget {
    public let nodeNetns: String
    public let podPatterns: [String]
    public let netnsDirectory: String
    public let root: String
    public var podNames: [String: String]
    public var vethPods: [String: String]
    private var views: [String: NetnsView] = [:]
    private var writers: [SteeringFile: KernelFile] = [:]
    private var readers: [SteeringFile: KernelFile] = [:]
    private var notices: [String] = []
    public let onlineCPUs: CPUSet
    public let possibleCPUs: Int
    private let label: String?

    public init(node: String = "", pods: [String] = [], netnsDirectory: String = "/var/run/netns", root: String = "/",
                label: String? = nil, podNames: [String: String] = [:], vethPods: [String: String] = [:]) throws(SteerError) {
        if !node.isEmpty { try Names.checkNamespace(node) }
        for p in pods { try Names.checkPattern(p, kind: "namespace") }
        nodeNetns = node
        podPatterns = pods
        self.netnsDirectory = netnsDirectory
        self.root = root
        self.label = label
        self.podNames = podNames
        self.vethPods = vethPods
        (onlineCPUs, possibleCPUs) = CPUList.machine(root: root)
        _ = try view(node)
    }

    public var summary: String {
        if let label { return label }
        let node = nodeNetns.isEmpty ? "this host" : "netns \(nodeNetns)"
        let pods = podNetns
        return pods.isEmpty ? node : "\(node) and \(pods.count) pod namespace\(pods.count == 1 ? "" : "s")"
    }

    public var podNetns: [String] {
        guard !podPatterns.isEmpty else { return [] }
        let names = (try? NetnsView.namespaces(matching: podPatterns, directory: netnsDirectory).get()) ?? []
        return names.filter { $0 != nodeNetns }
    }

    func view(_ netns: String) throws(SteerError) -> NetnsView {
        if let v = views[netns], v.stillExists { return v }
        writers = writers.filter { $0.key.netns != netns }
        readers = readers.filter { $0.key.netns != netns }
        let v = netns.isEmpty ? try NetnsView(hostRoot: root) : try NetnsView(named: netns, directory: netnsDirectory)
        views[netns] = v
        return v
    }

    public func files(config: SteeringConfig) -> SteeringFileList {
        var list = SteeringFileList(files: [.sockFlowEntries])
        let pods = podNetns
        if !podPatterns.isEmpty && pods.isEmpty {
            list.warnings.append("no namespace matches \(podPatterns.joined(separator: ",")) in \(netnsDirectory)")
        }
        for (netns, isPod) in [(nodeNetns, false)] + pods.map({ ($0, true) }) {
            let v: NetnsView
            do { v = try view(netns) } catch {
                list.errors.append(error.description)
                continue
            }
            let patterns = isPod ? config.podIfaces : config.nodeIfaces
            let ifaces = v.interfaceNames().filter { (try? Names.checkInterface($0)) != nil && patterns.matches($0) }
                .sorted(by: naturalOrder)
            if !isPod {
                let place = netns.isEmpty ? "this host" : "netns " + netns
                for p in patterns.patterns where !p.contains(where: { "*?[".contains($0) }) && !ifaces.contains(p) {
                    list.warnings.append("interface \(p) not found in \(place)")
                }
                if !patterns.patterns.isEmpty && ifaces.isEmpty {
                    list.warnings.append("no interface matches \(patterns) in \(place)")
                }
            }
            for iface in ifaces {
                for q in v.rxQueues(of: iface) {
                    list.files.append(SteeringFile(netns: netns, iface: iface, queue: q, knob: .rpsCPUs, isPod: isPod))
                    list.files.append(SteeringFile(netns: netns, iface: iface, queue: q, knob: .rpsFlowCount, isPod: isPod))
                }
            }
        }
        return list
    }

    public func read(_ file: SteeringFile) throws(SteerError) -> String {
        if file.knob == .sockFlowEntries {
            let path = NetnsView.join(root, String(SteeringFile.sockFlowEntriesPath.dropFirst()))
            switch LibC.readText(path) {
            case .success(let text): return text.trimmingCharacters()
            case .failure(let e): throw SteerError.read(path: SteeringFile.sockFlowEntriesPath, errno: e)
            }
        }
        if let f = writers[file] { return try f.readAttributeText() }
        if let f = readers[file] { return try f.readAttributeText() }
        let f = try view(file.netns).open(file.sysfsPath)
        readers[file] = f
        return try f.readAttributeText()
    }

    public func write(_ file: SteeringFile, _ value: String) throws(SteerError) {
        if let e = write([(file, value)])[0] { throw e }
    }

    /// Writes a batch namespace by namespace. A namespace whose sysfs superblock is
    /// read-only (every pod of a containerd node: runc mounts the pod's /sys read-only) is
    /// made writable for its writes and put back read-only right after, so the pod and
    /// anyone else mounting its sysfs see what the runtime set (docs/netns.md).
    public func write(_ batch: [(SteeringFile, String)]) -> [Int: SteerError] {
        var failed: [Int: SteerError] = [:]
        var order: [String] = []
        var groups: [String: [Int]] = [:]
        for (i, (file, value)) in batch.enumerated() {
            if file.knob == .sockFlowEntries {
                do throws(SteerError) {
                    let path = NetnsView.join(root, String(SteeringFile.sockFlowEntriesPath.dropFirst()))
                    let f = try KernelFile(path, displayPath: SteeringFile.sockFlowEntriesPath, writable: true, capacity: 64)
                    try f.write(value)
                } catch { failed[i] = error }
                continue
            }
            if groups[file.netns] == nil { order.append(file.netns) }
            groups[file.netns, default: []].append(i)
        }
        for netns in order {
            let indices = groups[netns] ?? []
            let v: NetnsView
            do { v = try view(netns) } catch {
                for i in indices { failed[i] = error }
                continue
            }
            let readOnly = v.sysfsReadOnly
            if readOnly {
                do { try v.setSysfsReadOnly(false) } catch {
                    for i in indices { failed[i] = error }
                    continue
                }
            }
            for i in indices {
                do { try writeSysfs(batch[i].0, batch[i].1) } catch { failed[i] = error }
            }
            if readOnly {
                // A file open for writing keeps the superblock writable (EBUSY): close them.
                writers = writers.filter { $0.key.netns != netns }
                do { try v.setSysfsReadOnly(true) } catch { notices.append(error.description) }
            }
        }
        return failed
    }

    public func takeNotices() -> [String] {
        defer { notices = [] }
        return notices
    }

    private func writeSysfs(_ file: SteeringFile, _ value: String) throws(SteerError) {
        do {
            try writer(file).write(value)
        } catch {
            // The interface may have been re-created since the file was opened: one fresh attempt.
            writers[file] = nil
            readers[file] = nil
            try writer(file).write(value)
        }
    }

    private func writer(_ file: SteeringFile) throws(SteerError) -> KernelFile {
        if let f = writers[file] { return f }
        let f = try view(file.netns).open(file.sysfsPath, writable: true)
        writers[file] = f
        return f
    }
}
