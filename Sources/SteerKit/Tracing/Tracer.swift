#if canImport(Glibc)
import Glibc
#endif
import CSteerTrace
import SystemPackage

/// Kernel tracing of where receive work runs, for a whole session: steertop's BPF
/// programs (Sources/CSteerTrace/bpf/steer_trace.bpf.c, built into the binary by the
/// BPFObject plugin) attached to three BTF tracepoints — net:netif_receive_skb (each
/// device's receive, on the CPU that processes it), tcp:tcp_probe (TCP's receive of an
/// established flow's segment) and sock:sock_recv_length (a reader's read returning) —
/// counting per CPU in the kernel. `read()` flips the programs to the other generation of
/// the counting arrays and drains the one they counted into, in place: the arrays are
/// mapped into steertop, so a tick makes no syscall.
///
/// One Tracer per machine at a time (a lock file says who holds it). `stop()` (or deinit)
/// detaches every program; the kernel also detaches them when the process dies, since
/// nothing is pinned.
public final class Tracer {
    /// The kernel side's caps, per CPU and tick: devices and flows.
    public static let maxDevices = Int(CSTEER_TRACE_MAX_DEVICES)
    public static let maxFlows = Int(CSTEER_TRACE_MAX_FLOWS)
    /// The lock that says a tracer is running.
    public static let lockPath = "/run/steertop-trace.lock"

    private var handle: OpaquePointer?
    private var lockFD: Int32 = -1
    private let names: DeviceNames
    /// Possible CPUs: the length of per-CPU values.
    public let cpus: Int
    private var lastRead: Double
    /// The last reader seen per flow, kept across ticks (a reader that did not read this
    /// tick still ran there last), forgotten after `readerMemory` ticks unseen.
    private var readers: [FlowID: (cpu: Int, command: String, pid: UInt32, tick: Int)] = [:]
    private static let readerMemory = 30
    private var tick = 0
    private var stageRows: UnsafeMutableBufferPointer<csteer_stage_row>
    private var flowRows: UnsafeMutableBufferPointer<csteer_flow_row>
    private var readerRows: UnsafeMutableBufferPointer<csteer_reader_row>

    /// Loads and attaches the programs. Throws `SteerError.tracing` with one line saying
    /// why tracing cannot run here: not root, no BPF, no BTF, a locked-down kernel, a
    /// tracepoint this kernel lacks, or another steertop already tracing.
    public init(netnsDirectory: String = "/var/run/netns") throws(SteerError) {
        try Self.checkPrerequisites()
        switch LibC.lockExclusive(Self.lockPath) {
        case .success(let fd): lockFD = fd
        case .failure(.wouldBlock):
            throw SteerError.tracing("another steertop is already tracing on this machine (it holds \(Self.lockPath))")
        case .failure(let e):
            throw SteerError.tracing("cannot take \(Self.lockPath): \(SteerError.explain(e, path: Self.lockPath))")
        }
        let bytes = Self.objectBytes()
        var why = [CChar](repeating: 0, count: 512)
        var t: OpaquePointer?
        let rc = bytes.withUnsafeBytes { b in
            csteer_trace_open(b.baseAddress, b.count, &t, &why, why.count)
        }
        guard rc == 0, let t else {
            LibC.close(lockFD)
            throw SteerError.tracing(Self.explainLoad(errno: -rc, detail: Self.text(why)))
        }
        handle = t
        names = DeviceNames(directory: netnsDirectory)
        cpus = Int(csteer_trace_possible_cpus())
        stageRows = .allocate(capacity: Self.maxDevices * max(cpus, 1))
        flowRows = .allocate(capacity: Self.maxFlows * max(cpus, 1))
        readerRows = .allocate(capacity: Self.maxFlows * max(cpus, 1))
        lastRead = LibC.monotonic()
        // Count from now: whatever the programs counted while the others attached goes.
        _ = try? read()
    }

    deinit {
        stop()
        stageRows.deallocate()
        flowRows.deallocate()
        readerRows.deallocate()
    }

    /// Whether the programs are attached.
    public var isRunning: Bool { handle != nil }

    /// Detaches the programs and frees the maps; safe to call twice.
    public func stop() {
        if let handle { csteer_trace_close(handle) }
        handle = nil
        if lockFD >= 0 { LibC.close(lockFD) }
        lockFD = -1
    }

    /// The kernel ids of the loaded programs (as `bpftool prog` lists them).
    public var programIDs: [UInt32] {
        guard let handle else { return [] }
        var ids = [UInt32](repeating: 0, count: 8)
        let n = csteer_trace_program_ids(handle, &ids, Int32(ids.count))
        return Array(ids.prefix(Int(max(n, 0))))
    }

    /// What the kernel counted since the last read, named and sorted; the maps start over.
    public func read() throws(SteerError) -> TraceTick {
        guard let handle else { throw SteerError.tracing("the tracer was stopped") }
        let gen = csteer_trace_flip(handle)
        let now = LibC.monotonic()
        let seconds = now - lastRead
        lastRead = now
        var stageCount: Int32 = 0, flowCount: Int32 = 0, readerCount: Int32 = 0
        var lost: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &lost) { l in
            csteer_trace_drain(handle, gen,
                               stageRows.baseAddress, Int32(stageRows.count), &stageCount,
                               flowRows.baseAddress, Int32(flowRows.count), &flowCount,
                               readerRows.baseAddress, Int32(readerRows.count), &readerCount,
                               l.baseAddress!.assumingMemoryBound(to: UInt64.self))
        }
        tick += 1
        names.beginTick()

        // Stages: rows are (device, cpu, packets).
        var stageIndex: [UInt64: Int] = [:]
        var stages: [ReceiveStage] = []
        for row in stageRows.prefix(Int(stageCount)) {
            let id = UInt64(row.netns) << 32 | UInt64(row.ifindex)
            let i: Int
            if let known = stageIndex[id] {
                i = known
            } else {
                i = stages.count
                stageIndex[id] = i
                stages.append(ReceiveStage(
                    netnsInode: row.netns, ifindex: row.ifindex, netns: names.namespace(row.netns),
                    device: names.device(netns: row.netns, ifindex: row.ifindex),
                    packets: [UInt64](repeating: 0, count: cpus), bytes: 0))
            }
            if Int(row.cpu) < cpus { stages[i].packets[Int(row.cpu)] += row.packets }
            stages[i].bytes += row.bytes
        }
        stages.sort { ($0.order, $0.netns, $0.device) < ($1.order, $1.netns, $1.device) }

        // Readers of this tick, then flows.
        // Per flow, the CPU with the latest read is where its reader last ran.
        var latest: [FlowID: UInt64] = [:]
        var readsThisTick: [FlowID: UInt64] = [:]
        for row in readerRows.prefix(Int(readerCount)) {
            let id = FlowID(row.key)
            readsThisTick[id, default: 0] += row.value.reads
            let command = withUnsafeBytes(of: row.value.comm) { b in
                String(decoding: b.prefix { $0 != 0 }, as: UTF8.self)
            }
            if row.value.last_ns >= latest[id, default: 0] {
                latest[id] = row.value.last_ns
                readers[id] = (Int(row.cpu), command, row.value.tgid, tick)
            }
        }
        var flowIndex: [FlowID: Int] = [:]
        var flows: [FlowLocality] = []
        for row in flowRows.prefix(Int(flowCount)) {
            let id = FlowID(row.key)
            let i: Int
            if let known = flowIndex[id] {
                i = known
            } else {
                i = flows.count
                flowIndex[id] = i
                let reader = readers[id]
                flows.append(FlowLocality(
                    netnsInode: row.key.netns, netns: names.namespace(row.key.netns),
                    local: id.local, remote: id.remote, localPort: row.key.lport, remotePort: row.key.rport,
                    segments: [UInt64](repeating: 0, count: cpus), skbs: 0, bytes: 0,
                    readerCPU: reader?.cpu, readerCommand: reader?.command, readerPID: reader?.pid,
                    reads: readsThisTick[id] ?? 0))
            }
            if Int(row.cpu) < cpus { flows[i].segments[Int(row.cpu)] += row.segments }
            flows[i].skbs += row.skbs
            flows[i].bytes += row.bytes
        }
        flows.sort { a, b in
            if a.isIperf != b.isIperf { return a.isIperf }
            if a.bytes != b.bytes { return a.bytes > b.bytes }
            return (a.netns, a.localPort, a.remotePort) < (b.netns, b.localPort, b.remotePort)
        }
        readers = readers.filter { tick - $0.value.tick <= Self.readerMemory }

        var warnings = names.takeWarnings()
        if lost.0 > 0 { warnings.append("\(lost.0) packets of devices beyond the cap of \(Self.maxDevices) per CPU were not counted") }
        if lost.1 > 0 { warnings.append("\(lost.1) segments of flows beyond the cap of \(Self.maxFlows) per CPU were not counted") }
        return TraceTick(seconds: seconds, cpus: cpus, stages: stages, flows: flows,
                         lostStagePackets: lost.0, lostFlowSegments: lost.1, lostReads: lost.2, warnings: warnings)
    }

    // MARK: why tracing cannot run

    /// What can be told before touching bpf(2): root, BTF, lockdown.
    static func checkPrerequisites() throws(SteerError) {
        if LibC.effectiveUserID() != 0 {
            throw SteerError.tracing("kernel tracing needs root (BPF programs and maps): run steertop with sudo")
        }
        if !LibC.access("/sys/kernel/btf/vmlinux", R_OK) {
            throw SteerError.tracing("the kernel has no BTF (/sys/kernel/btf/vmlinux is missing: CONFIG_DEBUG_INFO_BTF=n)")
        }
        if case .success(let text) = LibC.readText("/sys/kernel/security/lockdown"), text.contains("[confidentiality]") {
            throw SteerError.tracing("the kernel is locked down (lockdown=confidentiality forbids BPF reading kernel memory)")
        }
    }

    /// One line for a failed load or attach (errno and libbpf's own words).
    static func explainLoad(errno: Int32, detail: String) -> String {
        let e = Errno(rawValue: errno)
        switch e {
        case .noFunction:
            return "this kernel has no BPF system call (CONFIG_BPF_SYSCALL=n)"
        case .notPermitted, .permissionDenied:
            if case .success(let text) = LibC.readText("/sys/kernel/security/lockdown"), !text.contains("[none]") {
                return "the kernel is locked down (\(text.trimmingCharacters())): \(detail)"
            }
            return "the kernel refused the BPF programs (permission denied; unprivileged BPF is off, or a security module): \(detail)"
        case .noSuchFileOrDirectory, .noSuchProcess:
            return "a tracepoint is missing on this kernel: \(detail)"
        default:
            return detail.isEmpty ? e.description : detail
        }
    }

    /// A NUL-terminated C buffer as a String.
    static func text(_ buffer: [CChar]) -> String {
        buffer.withUnsafeBytes { b in String(decoding: b.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// The embedded BPF object (SteerTraceObject.hex, generated at build time).
    static func objectBytes() -> [UInt8] {
        var out: [UInt8] = []
        let hex = SteerTraceObject.hex.utf8
        out.reserveCapacity(hex.count / 2)
        var high: UInt8? = nil
        for c in hex {
            let v: UInt8
            switch c {
            case 0x30...0x39: v = c - 0x30
            case 0x61...0x66: v = c - 0x61 + 10
            default: continue
            }
            if let h = high { out.append(h << 4 | v); high = nil } else { high = v }
        }
        return out
    }
}

/// A flow's identity from its BPF key, and its endpoints as text.
struct FlowID: Hashable {
    var netns: UInt32
    var family: UInt16
    var lport: UInt16, rport: UInt16
    var laddr: [UInt8], raddr: [UInt8]

    init(_ key: csteer_flow_key) {
        netns = key.netns
        family = key.family
        lport = key.lport
        rport = key.rport
        let n = key.family == UInt16(AF_INET6) ? 16 : 4
        laddr = withUnsafeBytes(of: key.laddr) { Array($0.prefix(n)) }
        raddr = withUnsafeBytes(of: key.raddr) { Array($0.prefix(n)) }
    }

    var local: String { Self.endpoint(laddr, lport) }
    var remote: String { Self.endpoint(raddr, rport) }

    static func endpoint(_ address: [UInt8], _ port: UInt16) -> String {
        if address.count == 4 { return address.map(String.init).joined(separator: ".") + ":\(port)" }
        // An IPv4-mapped address (::ffff:a.b.c.d, a dual-stack socket such as iperf3's) as IPv4.
        if address.count == 16, address.prefix(10).allSatisfy({ $0 == 0 }), address[10] == 0xff, address[11] == 0xff {
            return address.suffix(4).map(String.init).joined(separator: ".") + ":\(port)"
        }
        var groups: [String] = []
        for i in stride(from: 0, to: address.count, by: 2) {
            groups.append(String(UInt16(address[i]) << 8 | UInt16(address[i + 1]), radix: 16))
        }
        return "[" + groups.joined(separator: ":") + "]:\(port)"
    }
}
