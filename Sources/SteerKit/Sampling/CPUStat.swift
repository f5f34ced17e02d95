/// One CPU's line of /proc/stat, in USER_HZ ticks since boot.
public struct CPUTimes: Equatable, Sendable {
    public var user: UInt64 = 0, nice: UInt64 = 0, system: UInt64 = 0, idle: UInt64 = 0
    public var iowait: UInt64 = 0, irq: UInt64 = 0, softirq: UInt64 = 0, steal: UInt64 = 0
    public var guest: UInt64 = 0, guestNice: UInt64 = 0

    public init() {}

    public init(user: UInt64, nice: UInt64, system: UInt64, idle: UInt64, iowait: UInt64,
                irq: UInt64, softirq: UInt64, steal: UInt64, guest: UInt64 = 0, guestNice: UInt64 = 0) {
        self.user = user; self.nice = nice; self.system = system; self.idle = idle
        self.iowait = iowait; self.irq = irq; self.softirq = softirq; self.steal = steal
        self.guest = guest; self.guestNice = guestNice
    }
}

/// /proc/stat: the per-CPU lines ("cpuN ..."); the aggregate "cpu" line and everything
/// after the CPU lines (intr, ctxt, ...) are not looked at.
public enum ProcStat {
    /// Parses the per-CPU lines into `out` (cleared first), in file order. A CPU that is
    /// offline has no line.
    public static func parse(_ bytes: UnsafeRawBufferPointer, into out: inout [(cpu: Int, times: CPUTimes)]) {
        out.removeAll(keepingCapacity: true)
        var s = ByteScanner(bytes)
        while !s.atEnd {
            guard s.hasPrefix("cpu") else { break }
            s.index += 3
            if s.peek == 0x20 {  // the aggregate line
                s.nextLine()
                continue
            }
            guard let cpu = s.unsigned() else { s.nextLine(); continue }
            var t = CPUTimes()
            // Older kernels print fewer columns; missing ones stay 0.
            t.user = s.unsigned() ?? 0
            t.nice = s.unsigned() ?? 0
            t.system = s.unsigned() ?? 0
            t.idle = s.unsigned() ?? 0
            t.iowait = s.unsigned() ?? 0
            t.irq = s.unsigned() ?? 0
            t.softirq = s.unsigned() ?? 0
            t.steal = s.unsigned() ?? 0
            t.guest = s.unsigned() ?? 0
            t.guestNice = s.unsigned() ?? 0
            out.append((Int(cpu), t))
            s.nextLine()
        }
    }
}

/// A CPU's time shares over one tick, in percent, with mpstat's definitions.
public struct CPUUsage: Equatable, Sendable {
    public var cpu: Int
    public var usr = 0.0, nice = 0.0, sys = 0.0, iowait = 0.0, irq = 0.0
    public var soft = 0.0, steal = 0.0, guest = 0.0, gnice = 0.0, idle = 0.0

    public init(cpu: Int) { self.cpu = cpu }

    public init(cpu: Int, usr: Double, nice: Double, sys: Double, iowait: Double, irq: Double,
                soft: Double, steal: Double, guest: Double = 0, gnice: Double = 0, idle: Double) {
        self.cpu = cpu; self.usr = usr; self.nice = nice; self.sys = sys; self.iowait = iowait
        self.irq = irq; self.soft = soft; self.steal = steal; self.guest = guest; self.gnice = gnice
        self.idle = idle
    }

    /// Busy share: everything but idle and iowait.
    public var busy: Double { usr + nice + sys + irq + soft + steal + guest + gnice }

    /// mpstat's per-CPU computation (sysstat's get_per_cpu_interval and
    /// write_plain_cpu_stats): guest time is inside user and nice in /proc/stat, so %usr is
    /// user - guest and %nice is nice - guest_nice, and the interval leaves guest out;
    /// a counter that goes backwards counts as 0; idle and iowait restart from zero when a
    /// CPU comes back online, but an iowait that drops while idle grows is only re-accounted
    /// time (the interval has no iowait); a CPU with no ticks in the interval (tickless) is
    /// 100% idle.
    public static func between(_ prev: CPUTimes, _ cur: CPUTimes, cpu: Int) -> CPUUsage {
        var p = prev
        var shift: UInt64 = 0
        let curUser = cur.user &- min(cur.guest, cur.user), prevUser = p.user &- min(p.guest, p.user)
        if curUser < prevUser { shift &+= prevUser - curUser }
        let curNice = cur.nice &- min(cur.guestNice, cur.nice), prevNice = p.nice &- min(p.guestNice, p.nice)
        if curNice < prevNice { shift &+= prevNice - curNice }
        if cur.iowait < p.iowait && p.iowait < UInt64.max - 0x7ffff {
            // As sysstat does: iowait also drops when the kernel re-accounts iowait time as
            // idle; if idle did not go down, the new reading is the baseline (no iowait in
            // the interval), otherwise the CPU came back online and iowait restarted at 0.
            p.iowait = cur.idle > p.idle || p.idle >= UInt64.max - 0x7ffff ? cur.iowait : 0
        }
        if cur.idle < p.idle && p.idle < UInt64.max - 0x7ffff { p.idle = 0 }

        let curTotal = cur.user &+ cur.nice &+ cur.system &+ cur.iowait &+ cur.idle &+ cur.steal &+ cur.irq &+ cur.softirq
        let prevTotal = p.user &+ p.nice &+ p.system &+ p.iowait &+ p.idle &+ p.steal &+ p.irq &+ p.softirq
        var u = CPUUsage(cpu: cpu)
        guard curTotal >= prevTotal, curTotal &- prevTotal &+ shift > 0 else {
            u.idle = 100
            return u
        }
        let interval = Double(curTotal &- prevTotal &+ shift)
        @inline(__always) func share(_ a: UInt64, _ b: UInt64) -> Double {
            b < a ? 0 : Double(b - a) / interval * 100
        }
        u.usr = share(prevUser, curUser)
        u.nice = share(prevNice, curNice)
        u.sys = share(p.system, cur.system)
        u.iowait = share(p.iowait, cur.iowait)
        u.irq = share(p.irq, cur.irq)
        u.soft = share(p.softirq, cur.softirq)
        u.steal = share(p.steal, cur.steal)
        u.guest = share(p.guest, cur.guest)
        u.gnice = share(p.guestNice, cur.guestNice)
        u.idle = share(p.idle, cur.idle)
        return u
    }
}

/// /proc/softirqs: the NET_RX and NET_TX rows, per CPU (the header names the columns;
/// the kernel prints every possible CPU).
public enum ProcSoftirqs {
    /// Fills `netRX` and `netTX`, indexed by CPU id, with the raw (u32) counters.
    public static func parse(_ bytes: UnsafeRawBufferPointer, netRX: inout [UInt64], netTX: inout [UInt64]) {
        var s = ByteScanner(bytes)
        // Header: "                    CPU0       CPU1 ..."
        var columns: [Int] = []
        while !s.atLineEnd() {
            s.skipBlanks()
            if s.hasPrefix("CPU") {
                s.index += 3
                if let id = s.unsigned() { columns.append(Int(id)) }
            } else {
                _ = s.word()
            }
        }
        s.nextLine()
        let width = (columns.max() ?? -1) + 1
        if netRX.count != width {
            netRX = [UInt64](repeating: 0, count: width)
            netTX = [UInt64](repeating: 0, count: width)
        }
        var found = 0
        while !s.atEnd && found < 2 {
            s.skipBlanks()
            let isRX = s.hasPrefix("NET_RX:")
            let isTX = !isRX && s.hasPrefix("NET_TX:")
            if isRX || isTX {
                s.index += 7
                for column in columns {
                    guard let v = s.unsigned() else { break }
                    if isRX { netRX[column] = v } else { netTX[column] = v }
                }
                found += 1
            }
            s.nextLine()
        }
    }
}

/// /proc/net/softnet_stat: one line per online CPU of u32 hex counters.
public struct SoftnetCounters: Equatable, Sendable {
    public var cpu: Int
    public var processed: UInt32
    public var dropped: UInt32
    public var timeSqueeze: UInt32
    public var receivedRPS: UInt32
    public var flowLimit: UInt32

    public init(cpu: Int, processed: UInt32, dropped: UInt32, timeSqueeze: UInt32, receivedRPS: UInt32, flowLimit: UInt32) {
        self.cpu = cpu; self.processed = processed; self.dropped = dropped
        self.timeSqueeze = timeSqueeze; self.receivedRPS = receivedRPS; self.flowLimit = flowLimit
    }
}

public enum ProcSoftnet {
    /// Parses every line. The CPU id is column 13 where the kernel prints it (5.10 and
    /// later; offline CPUs have no line, so the line number is not the CPU); with fewer
    /// columns the n-th line belongs to the n-th CPU of `onlineCPUs`. Columns 10 and 11
    /// (received_rps, flow_limit_count) are 0 where a kernel does not print them.
    public static func parse(_ bytes: UnsafeRawBufferPointer, onlineCPUs: [Int], into out: inout [SoftnetCounters]) {
        out.removeAll(keepingCapacity: true)
        var s = ByteScanner(bytes)
        var line = 0
        while !s.atEnd {
            // processed dropped time_squeeze 0 0 0 0 0 cpu_collision received_rps
            // flow_limit_count backlog_len cpu [input_qlen process_qlen]
            var processed: UInt64 = 0, dropped: UInt64 = 0, squeeze: UInt64 = 0
            var rps: UInt64 = 0, flowLimit: UInt64 = 0, cpuColumn: UInt64 = 0
            var n = 0
            while let v = s.hex() {
                switch n {
                case 0: processed = v
                case 1: dropped = v
                case 2: squeeze = v
                case 9: rps = v
                case 10: flowLimit = v
                case 12: cpuColumn = v
                default: break
                }
                n += 1
            }
            s.nextLine()
            guard n >= 3 else { continue }
            let cpu = n >= 13 ? Int(cpuColumn) : (line < onlineCPUs.count ? onlineCPUs[line] : line)
            out.append(SoftnetCounters(
                cpu: cpu, processed: UInt32(truncatingIfNeeded: processed), dropped: UInt32(truncatingIfNeeded: dropped),
                timeSqueeze: UInt32(truncatingIfNeeded: squeeze), receivedRPS: UInt32(truncatingIfNeeded: rps),
                flowLimit: UInt32(truncatingIfNeeded: flowLimit)))
            line += 1
        }
    }
}

/// Per-second softnet rates of one CPU over a tick.
public struct SoftnetRates: Equatable, Sendable {
    public var cpu: Int
    public var processed = 0.0, dropped = 0.0, timeSqueeze = 0.0, receivedRPS = 0.0, flowLimit = 0.0

    public init(cpu: Int) { self.cpu = cpu }

    public init(cpu: Int, processed: Double, dropped: Double, timeSqueeze: Double, receivedRPS: Double, flowLimit: Double) {
        self.cpu = cpu; self.processed = processed; self.dropped = dropped
        self.timeSqueeze = timeSqueeze; self.receivedRPS = receivedRPS; self.flowLimit = flowLimit
    }

    /// Rates between two readings; the counters are u32, so deltas are modulo 2^32.
    public static func between(_ a: SoftnetCounters, _ b: SoftnetCounters, seconds: Double) -> SoftnetRates {
        SoftnetRates(
            cpu: b.cpu,
            processed: Double(b.processed &- a.processed) / seconds,
            dropped: Double(b.dropped &- a.dropped) / seconds,
            timeSqueeze: Double(b.timeSqueeze &- a.timeSqueeze) / seconds,
            receivedRPS: Double(b.receivedRPS &- a.receivedRPS) / seconds,
            flowLimit: Double(b.flowLimit &- a.flowLimit) / seconds)
    }
}
