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

    /// One watched namespace and its interfaces.
    final class Watched {
        let view: NetnsView
        let isNode: Bool
        var ifaces: [String: WatchedInterface] = [:]
        init(view: NetnsView, isNode: Bool) { self.view = view; self.isNode = isNode }
    }

    final class WatchedInterface {
        let name: String
        var queues: [(queue: Int, rpsCPUs: KernelFile?, flowCount: KernelFile?)] = []
        var prev: NetDevCounters?
        var needsDiscovery = true
        init(name: String) { self.name = name }
    }

    public init(targets: WatchTargets) throws(SteerError) {
        self.targets = targets
        let root = targets.root
        procStat = try KernelFile(NetnsView.join(root, "proc/stat"), capacity: 16384)
        softirqs = try KernelFile(NetnsView.join(root, "proc/softirqs"), capacity: 16384)
        softnet = try KernelFile(NetnsView.join(root, "proc/net/softnet_stat"), capacity: 8192)
        sockFlow = try? KernelFile(NetnsView.join(root, "proc/sys/net/core/rps_sock_flow_entries"), capacity: 64)
        onlineCPUs = Self.readCPUList(NetnsView.join(root, "sys/devices/system/cpu/online")) ?? []
        possibleCPUs = (Self.readCPUList(NetnsView.join(root, "sys/devices/system/cpu/possible"))?.max()).map { $0 + 1 }
            ?? max(LibC.configuredCPUs(), 1)
        let nodeView: NetnsView
        if targets.node.isEmpty {
            nodeView = try NetnsView(hostRoot: root)
        } else {
            nodeView = try NetnsView(named: targets.node, directory: targets.netnsDirectory)
        }
        namespaces = [Watched(view: nodeView, isNode: true)]
    }

    static func readCPUList(_ path: String) -> [Int]? {
        guard case .success(let text) = LibC.readText(path) else { return nil }
        return CPUList.parse(text)
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
        refreshPods(&missing)
        for ns in namespaces {
            if !ns.view.stillExists {
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
            for counters in netDevScratch where patterns.matches(counters.name) {
                let w: WatchedInterface
                if let existing = ns.ifaces[counters.name] { w = existing } else {
                    w = WatchedInterface(name: counters.name)
                    ns.ifaces[counters.name] = w
                }
                out.ifaces.append(readInterface(w, counters: counters, in: ns, dt: dt, missing: &missing))
            }
            // Interfaces that disappeared from /proc/net/dev are forgotten.
            if ns.ifaces.count > out.ifaces.count {
                let present = Set(netDevScratch.map(\.name))
                for name in ns.ifaces.keys where !present.contains(name) { ns.ifaces[name] = nil }
            }
        }

        if let sockFlow {
            out.sockFlowEntries = (try? sockFlow.readAttributeText()).flatMap { Int($0) }
        }
        out.missing = missing
        prevTime = now
        return out
    }

    private func readInterface(_ w: WatchedInterface, counters: NetDevCounters, in ns: Watched, dt: Double?,
                               missing: inout [String]) -> InterfaceSample {
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
        s.queues.reserveCapacity(w.queues.count)
        var failed = false
        for q in w.queues {
            var state = QueueState(queue: q.queue, rpsCPUs: nil, rpsFlowCount: nil)
            do {
                if let f = q.rpsCPUs { state.rpsCPUs = try f.readAttributeText() }
                if let f = q.flowCount { state.rpsFlowCount = Int(try f.readAttributeText()) }
            } catch {
                failed = true
            }
            s.queues.append(state)
        }
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
            return (q, try? view.open(base + "rps_cpus"), try? view.open(base + "rps_flow_cnt"))
        }
        w.needsDiscovery = false
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
            guard !ns.isNode, !wantedSet.contains(ns.view.name) || !ns.view.stillExists else { return false }
            missing.append("netns \(ns.view.name) vanished")
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
