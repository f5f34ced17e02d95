#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// What to watch: the node (steertop's own network namespace, or a named one such as the
/// lab's steer-server) with its interfaces, and the pods' namespaces with theirs.
public struct WatchTargets: Equatable, Sendable {
    /// "" = steertop's own namespace (the host); else a name under `netnsDirectory`.
    public var node: String
    public var nodeIfaces: NamePatterns
    /// Globs over the names in `netnsDirectory` (e.g. "cni-*"); empty = no pods.
    public var pods: [String]
    public var podIfaces: NamePatterns
    public var netnsDirectory: String
    /// Where /proc and /sys are for the host (a fixtures folder in tests).
    public var root: String

    public init(node: String = "", nodeIfaces: NamePatterns = .allButLoopback, pods: [String] = [],
                podIfaces: NamePatterns = .allButLoopback, netnsDirectory: String = "/var/run/netns", root: String = "/") {
        self.node = node; self.nodeIfaces = nodeIfaces; self.pods = pods; self.podIfaces = podIfaces
        self.netnsDirectory = netnsDirectory; self.root = root
    }

    public var recordingTargets: RecordingTargets {
        RecordingTargets(node: node, ifaces: nodeIfaces.patterns, netns: pods, podIfaces: podIfaces.patterns)
    }
}

/// Reads what the kernel says about receive processing, once per tick: /proc/stat,
/// /proc/softirqs, /proc/net/softnet_stat, each watched namespace's /proc/net/dev and the
/// rps_cpus / rps_flow_cnt of every rx queue, and rps_sock_flow_entries. Files stay open
/// and buffers are reused: it runs on the node it measures.
public final class Sampler {
    public let targets: WatchTargets
    /// The online CPUs when the sampler started (softnet_stat lines without a CPU column
    /// are matched to these).
    public private(set) var onlineCPUs: [Int]
    /// nr_cpu_ids: the width of the kernel's cpumasks.
    public let possibleCPUs: Int

    private let procStat: KernelFile
    private let softirqs: KernelFile
    private let softnet: KernelFile
    private let sockFlow: KernelFile?

    private var cpuLines: [(cpu: Int, times: CPUTimes)] = []
    private var prevCPU: [CPUTimes?] = []
    private var netRXRaw: [UInt64] = [], netTXRaw: [UInt64] = []
    private var prevNetRX: [UInt64] = [], prevNetTX: [UInt64] = []
    private var softnetNow: [SoftnetCounters] = []
    private var prevSoftnet: [SoftnetCounters?] = []
    private var namespaces: [Watched] = []
    private var netDevScratch: [NetDevCounters] = []
    private var prevTime: Double?

    /// Ticks between two reads of one queue's rps_cpus and rps_flow_cnt, and of
    /// rps_sock_flow_entries (they change only when someone writes them; a change by
    /// someone else is caught within this many ticks, and then every file is read again
    /// on the next tick; steertop's own switches call `refreshSteering`). 1 reads every
    /// file every tick.
    public var steeringPeriod = 10
    /// Changes whenever a steering value, an interface or a namespace changes: the mode
    /// needs recognising again only then.
    public private(set) var steeringGeneration = 0
    private var readAllSteering = true
    private var sockFlowEntries: Int?
    private var tick = 0
    private var netnsDirectoryMTime: Double?
    private var netnsDirectoryFD: Int32 = -1
    private var ticksSinceNamespaceCheck = 0
    private let namespaceRecheckTicks = 10

    /// Reads every steering file on the next tick (after steertop itself switched modes).
    public func refreshSteering() { readAllSteering = true }

    /// One watched namespace and its interfaces.
    final class Watched {
        let view: NetnsView
        let isNode: Bool
        var ifaces: [String: WatchedInterface] = [:]
        var gone = false
        var seen = 0
        /// Whether an interface name matches the patterns (fnmatch once per name).
        private var matched: [String: Bool] = [:]
        init(view: NetnsView, isNode: Bool) { self.view = view; self.isNode = isNode }

        func matches(_ name: String, _ patterns: NamePatterns) -> Bool {
            if let m = matched[name] { return m }
            if matched.count > 4096 { matched.removeAll() }
            let m = patterns.matches(name)
            matched[name] = m
            return m
        }
    }

    final class WatchedInterface {
        let name: String
        var queues: [WatchedQueue] = []
        /// The queues' last values, shared with the samples (copied only on a change).
        var states: [QueueState] = []
        var prev: NetDevCounters?
        var needsDiscovery = true
        var seen = 0
        init(name: String) { self.name = name }
    }

    /// One rx queue's rps_cpus and rps_flow_cnt, kept open, with the last values read.
    final class WatchedQueue {
        let rpsCPUs: KernelFile?
        let flowCount: KernelFile?
        var state: QueueState
        var read = false

        init(queue: Int, rpsCPUs: KernelFile?, flowCount: KernelFile?) {
            self.rpsCPUs = rpsCPUs
            self.flowCount = flowCount
            state = QueueState(queue: queue, rpsCPUs: nil, rpsFlowCount: nil)
        }

        /// Reads both files; true when a value changed. A String is made only on change.
        func refresh() throws(SteerError) -> Bool {
            var changed = false
            if let f = rpsCPUs {
                let bytes = try f.readAttribute()
                if !Self.same(bytes, state.rpsCPUs) {
                    state.rpsCPUs = Self.text(bytes)
                    changed = true
                }
            }
            if let f = flowCount {
                let bytes = try f.readAttribute()
                var s = ByteScanner(bytes)
                let v = s.unsigned().map { Int($0) }
                if v != state.rpsFlowCount {
                    state.rpsFlowCount = v
                    changed = true
                }
            }
            let first = !read
            read = true
            return changed && !first
        }

        static func text(_ bytes: UnsafeRawBufferPointer) -> String {
            var end = bytes.count
            while end > 0 && (bytes[end - 1] == 0x0a || bytes[end - 1] == 0x20) { end -= 1 }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[0..<end]), as: UTF8.self)
        }

        static func same(_ bytes: UnsafeRawBufferPointer, _ old: String?) -> Bool {
            guard var old else { return false }
            var end = bytes.count
            while end > 0 && (bytes[end - 1] == 0x0a || bytes[end - 1] == 0x20) { end -= 1 }
            return old.withUTF8 { o in
                o.count == end && (end == 0 || memcmp(o.baseAddress!, bytes.baseAddress!, end) == 0)
            }
        }
    }

    deinit {
        if netnsDirectoryFD >= 0 { LibC.close(netnsDirectoryFD) }
    }

    public init(targets: WatchTargets) throws(SteerError) {
        self.targets = targets
        let root = targets.root
        procStat = try KernelFile(NetnsView.join(root, "proc/stat"), capacity: 16384)
        softirqs = try KernelFile(NetnsView.join(root, "proc/softirqs"), capacity: 16384)
        softnet = try KernelFile(NetnsView.join(root, "proc/net/softnet_stat"), capacity: 8192)
        sockFlow = try? KernelFile(NetnsView.join(root, "proc/sys/net/core/rps_sock_flow_entries"), capacity: 64)
        let machine = CPUList.machine(root: root)
        onlineCPUs = machine.online.cpus
        possibleCPUs = machine.possible
        let nodeView: NetnsView
        if targets.node.isEmpty {
            nodeView = try NetnsView(hostRoot: root)
        } else {
            nodeView = try NetnsView(named: targets.node, directory: targets.netnsDirectory)
        }
        namespaces = [Watched(view: nodeView, isNode: true)]
    }

    /// The namespaces of the pods currently watched.
    public var podNamespaces: [String] { namespaces.filter { !$0.isNode }.map(\.view.name) }

    /// Takes a reading and returns what changed since the previous one (`t` and `mode` are
    /// left for the caller). The first call only sets the starting point: its rates are 0.
    public func sample() -> Sample {
        let now = LibC.monotonic()
        let dt = prevTime.map { max(now - $0, 1e-6) }
        var out = Sample()
        var missing: [String] = []

        // CPU time shares.
        do {
            let bytes = try procStat.read()
            ProcStat.parse(bytes, into: &cpuLines)
        } catch {
            missing.append(error.description)
            cpuLines.removeAll(keepingCapacity: true)
        }
        let maxCPU = cpuLines.last.map { $0.cpu } ?? -1
        if prevCPU.count <= maxCPU { prevCPU += [CPUTimes?](repeating: nil, count: maxCPU + 1 - prevCPU.count) }
        out.cpus.reserveCapacity(cpuLines.count)
        for (cpu, times) in cpuLines {
            if let prev = prevCPU[cpu] {
                out.cpus.append(CPUUsage.between(prev, times, cpu: cpu))
            }
            prevCPU[cpu] = times
        }
        if cpuLines.count != onlineCPUs.count || zip(cpuLines, onlineCPUs).contains(where: { $0.cpu != $1 }) {
            onlineCPUs = cpuLines.map(\.cpu)
        }

        // NET_RX / NET_TX softirqs per CPU (u32 counters).
        do {
            let bytes = try softirqs.read()
            ProcSoftirqs.parse(bytes, netRX: &netRXRaw, netTX: &netTXRaw)
        } catch {
            missing.append(error.description)
        }
        out.netRX.reserveCapacity(out.cpus.count)
        out.netTX.reserveCapacity(out.cpus.count)
        for c in out.cpus {
            let i = c.cpu
            if let dt, i < netRXRaw.count, i < prevNetRX.count {
                out.netRX.append(Double(UInt32(truncatingIfNeeded: netRXRaw[i]) &- UInt32(truncatingIfNeeded: prevNetRX[i])) / dt)
                out.netTX.append(Double(UInt32(truncatingIfNeeded: netTXRaw[i]) &- UInt32(truncatingIfNeeded: prevNetTX[i])) / dt)
            } else {
                out.netRX.append(0)
                out.netTX.append(0)
            }
        }
        swap(&prevNetRX, &netRXRaw)
        swap(&prevNetTX, &netTXRaw)

        // softnet_stat per CPU.
        do {
            let bytes = try softnet.read()
            ProcSoftnet.parse(bytes, onlineCPUs: onlineCPUs, into: &softnetNow)
        } catch {
            missing.append(error.description)
            softnetNow.removeAll(keepingCapacity: true)
        }
        for n in softnetNow {
            if prevSoftnet.count <= n.cpu { prevSoftnet += [SoftnetCounters?](repeating: nil, count: n.cpu + 1 - prevSoftnet.count) }
            if let dt, let prev = prevSoftnet[n.cpu] {
                out.softnet.append(SoftnetRates.between(prev, n, seconds: dt))
            }
            prevSoftnet[n.cpu] = n
        }

        // Namespaces and interfaces.
        checkNamespaces(&missing)
        tick &+= 1
        let readAll = readAllSteering || steeringPeriod <= 1
        readAllSteering = false
        var queueIndex = 0
        for ns in namespaces {
            if ns.gone {
                missing.append("netns \(ns.view.name) vanished")
                continue
            }
            do {
                try ns.view.readNetDev(into: &netDevScratch)
            } catch {
                missing.append(error.description)
                continue
            }
            let patterns = ns.isNode ? targets.nodeIfaces : targets.podIfaces
            ns.seen &+= 1
            for counters in netDevScratch where ns.matches(counters.name, patterns) {
                let w: WatchedInterface
                if let existing = ns.ifaces[counters.name] { w = existing } else {
                    w = WatchedInterface(name: counters.name)
                    ns.ifaces[counters.name] = w
                    steeringGeneration &+= 1
                }
                w.seen = ns.seen
                out.ifaces.append(readInterface(w, counters: counters, in: ns, dt: dt, readAll: readAll,
                                                queueIndex: &queueIndex, missing: &missing))
            }
            // Interfaces that disappeared from /proc/net/dev are forgotten.
            if ns.ifaces.count > netDevScratch.count || ns.ifaces.values.contains(where: { $0.seen != ns.seen }) {
                ns.ifaces = ns.ifaces.filter { $0.value.seen == ns.seen }
                steeringGeneration &+= 1
            }
        }

        if let sockFlow {
            // rps_sock_flow_entries takes its turn in the round-robin like the queues.
            if readAll || sockFlowEntries == nil || (queueIndex &+ tick) % steeringPeriod == 0 {
                let value = (try? sockFlow.readAttribute()).flatMap { bytes -> Int? in
                    var s = ByteScanner(bytes)
                    return s.unsigned().map { Int($0) }
                }
                if value != sockFlowEntries {
                    if sockFlowEntries != nil { readAllSteering = true }
                    sockFlowEntries = value
                    steeringGeneration &+= 1
                }
            }
            out.sockFlowEntries = sockFlowEntries
        }
        out.missing = missing
        prevTime = now
        return out
    }

    private func readInterface(_ w: WatchedInterface, counters: NetDevCounters, in ns: Watched, dt: Double?, readAll: Bool,
                               queueIndex: inout Int, missing: inout [String]) -> InterfaceSample {
        var s = InterfaceSample(name: counters.name, netns: ns.view.name)
        if let dt, let p = w.prev {
            // A counter that went backwards (interface re-created) gives 0 for this tick.
            s.rxBps = counters.rxBytes >= p.rxBytes ? Double(counters.rxBytes - p.rxBytes) * 8 / dt : 0
            s.txBps = counters.txBytes >= p.txBytes ? Double(counters.txBytes - p.txBytes) * 8 / dt : 0
            s.rxPps = counters.rxPackets >= p.rxPackets ? Double(counters.rxPackets - p.rxPackets) / dt : 0
            s.txPps = counters.txPackets >= p.txPackets ? Double(counters.txPackets - p.txPackets) / dt : 0
        }
        w.prev = counters
        if w.needsDiscovery { discoverQueues(w, in: ns.view) }
        var failed = false
        for (i, q) in w.queues.enumerated() {
            // Round-robin: each queue's files are read every `steeringPeriod` ticks, all of
            // them on a tick after a change was seen, and always when never read.
            if readAll || !q.read || (queueIndex &+ tick) % steeringPeriod == 0 {
                do {
                    if try q.refresh() {
                        readAllSteering = true
                        steeringGeneration &+= 1
                    }
                    if w.states[i] != q.state { w.states[i] = q.state }
                } catch {
                    failed = true
                }
            }
            queueIndex &+= 1
        }
        s.queues = w.states
        if failed {
            // The interface was removed or re-created under the same name: look again next tick.
            w.needsDiscovery = true
            missing.append("queues of \(ns.view.name.isEmpty ? "" : ns.view.name + "/")\(w.name) unreadable")
        }
        return s
    }

    private func discoverQueues(_ w: WatchedInterface, in view: NetnsView) {
        w.queues = view.rxQueues(of: w.name).map { q in
            let base = "class/net/\(w.name)/queues/rx-\(q)/"
            return WatchedQueue(queue: q, rpsCPUs: try? view.open(base + "rps_cpus"), flowCount: try? view.open(base + "rps_flow_cnt"))
        }
        w.states = w.queues.map(\.state)
        w.needsDiscovery = false
        steeringGeneration &+= 1
    }

    /// Notices namespaces that came or went: only when /var/run/netns changed (its mtime)
    /// or every `namespaceRecheckTicks` ticks, so that a quiet tick costs one stat(2).
    private func checkNamespaces(_ missing: inout [String]) {
        let needsNamed = !targets.pods.isEmpty || !targets.node.isEmpty
        guard needsNamed else { return }
        if netnsDirectoryFD < 0, case .success(let fd) = LibC.open(targets.netnsDirectory, O_RDONLY | O_DIRECTORY) {
            netnsDirectoryFD = fd
        }
        var mtime: Double?
        if netnsDirectoryFD >= 0, case .success(let st) = LibC.fstat(netnsDirectoryFD) {
            // A directory that was removed (and perhaps made again) is opened afresh.
            if st.links == 0 {
                LibC.close(netnsDirectoryFD)
                netnsDirectoryFD = -1
            } else {
                mtime = st.modified
            }
        }
        ticksSinceNamespaceCheck += 1
        if mtime != nil && mtime == netnsDirectoryMTime && ticksSinceNamespaceCheck < namespaceRecheckTicks { return }
        netnsDirectoryMTime = mtime
        ticksSinceNamespaceCheck = 0
        for ns in namespaces where !ns.gone && !ns.view.stillExists {
            ns.gone = true
            steeringGeneration &+= 1
        }
        // The node's namespace made again (the lab taken down and up): watch the new one.
        if let node = namespaces.first, node.isNode, node.gone, !targets.node.isEmpty,
           let view = try? NetnsView(named: targets.node, directory: targets.netnsDirectory) {
            namespaces[0] = Watched(view: view, isNode: true)
            readAllSteering = true
            steeringGeneration &+= 1
        }
        refreshPods(&missing)
    }

    /// Opens namespaces that now match the pod globs and drops the ones that went away.
    private func refreshPods(_ missing: inout [String]) {
        guard !targets.pods.isEmpty else { return }
        let wanted: [String]
        switch NetnsView.namespaces(matching: targets.pods, directory: targets.netnsDirectory) {
        case .success(let names): wanted = names.filter { $0 != targets.node }
        case .failure(.noSuchFileOrDirectory):
            missing.append("\(targets.netnsDirectory) does not exist: no named network namespaces here")
            wanted = []
        case .failure(let e):
            missing.append("cannot list \(targets.netnsDirectory): \(e.description)")
            wanted = []
        }
        let wantedSet = Set(wanted)
        namespaces.removeAll { ns in
            guard !ns.isNode, !wantedSet.contains(ns.view.name) || ns.gone else { return false }
            missing.append("netns \(ns.view.name) vanished")
            steeringGeneration &+= 1
            return true
        }
        // A name given literally (no glob characters) that is not there is worth saying.
        for pattern in targets.pods where !pattern.contains(where: { "*?[".contains($0) }) && !wantedSet.contains(pattern) {
            missing.append("netns \(pattern) not found")
        }
        let have = Set(namespaces.map(\.view.name))
        var added = false
        for name in wanted where !have.contains(name) {
            do {
                namespaces.append(Watched(view: try NetnsView(named: name, directory: targets.netnsDirectory), isNode: false))
                added = true
                steeringGeneration &+= 1
            } catch {
                missing.append(error.description)
            }
        }
        // Keep pods in natural order after the node.
        if added && namespaces.count > 2 {
            let node = namespaces[0]
            let pods = namespaces.dropFirst().sorted { naturalOrder($0.view.name, $1.view.name) }
            namespaces = [node] + pods
        }
    }
}
