import SteerKit

#if canImport(Glibc)
import Glibc
#endif

/// CPU time of a process from /proc/PID/stat (utime+stime, clock ticks) and
/// /proc/PID/schedstat (sum_exec_runtime, nanoseconds).
struct CPUTime {
    var ticks: Int
    var nanoseconds: Int

    static func of(_ pid: Int32) -> CPUTime? {
        guard case .success(let stat) = LibC.readText("/proc/\(pid)/stat"),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state(0) ppid(1) … utime(11) stime(12).
        guard fields.count > 12, let u = Int(fields[11]), let s = Int(fields[12]) else { return nil }
        var ns = 0
        if case .success(let sched) = LibC.readText("/proc/\(pid)/schedstat"),
           let first = sched.split(separator: " ").first, let v = Int(first) {
            ns = v
        }
        return CPUTime(ticks: u + s, nanoseconds: ns)
    }
}

/// `steerbench cpu-race --warmup S -- CMD1… -- CMD2…`: starts the commands together
/// (a word `>FILE` in a command sends its stdout to FILE, as a shell would),
/// and when each exits (held as a zombie with waitid(WNOWAIT) so that /proc still has
/// it) reads its CPU time; also reads it `warmup` seconds in, to give the steady cost
/// without start-up. Prints a table and the ratio of the first to the second.
func cpuRace(_ args: [String]) -> Int32 {
    var warmup = 1.5
    var rest = Array(args)
    if rest.first == "--warmup", rest.count > 1, let w = Double(rest[1]) {
        warmup = w
        rest.removeFirst(2)
    }
    let commands = rest.split(separator: "--").map(Array.init).filter { !$0.isEmpty }
    guard commands.count >= 2 else {
        print("usage: steerbench cpu-race [--warmup S] -- CMD… -- CMD…")
        return 2
    }
    let devnull = open("/dev/null", O_WRONLY)
    var pids: [Int32] = []
    for c in commands {
        var out = devnull
        if let redirect = c.first(where: { $0.hasPrefix(">") }) {
            out = open(String(redirect.dropFirst()), O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        }
        guard case .success(let pid) = LibC.spawn(c.filter { !$0.hasPrefix(">") }, stdout: out, stderr: devnull) else {
            print("cannot start \(c[0])")
            return 1
        }
        if out != devnull { close(out) }
        pids.append(pid)
    }
    let start = LibC.monotonic()
    var atWarmup: [CPUTime?] = Array(repeating: nil, count: pids.count)
    var final: [CPUTime?] = Array(repeating: nil, count: pids.count)
    var ended: [Double] = Array(repeating: 0, count: pids.count)
    while final.contains(where: { $0 == nil }) {
        let now = LibC.monotonic()
        for (i, pid) in pids.enumerated() where final[i] == nil {
            if atWarmup[i] == nil && now - start >= warmup { atWarmup[i] = CPUTime.of(pid) }
            var info = siginfo_t()
            if waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0, info._sifields._sigchld.si_pid == pid {
                final[i] = CPUTime.of(pid) ?? CPUTime(ticks: -1, nanoseconds: -1)
                ended[i] = now - start
                _ = LibC.wait(pid, block: true)
            }
        }
        LibC.sleep(0.01)
    }
    let hz = Double(LibC.clockTicksPerSecond())
    print("command                                   wall s   utime+stime s   exec ms   steady ms (after \(warmup) s)")
    for (i, c) in commands.enumerated() {
        let f = final[i]!, w = atWarmup[i]
        let steady = w.map { Double(f.nanoseconds - $0.nanoseconds) / 1e6 }
        let name = c.joined(separator: " ")
        let label = name.count > 40 ? String(name.prefix(37)) + "..." : name
        print(label.padding(40) + "  " + fmt(ended[i], 1).padding(7, left: true) + "  "
              + fmt(Double(f.ticks) / hz, 2).padding(14, left: true) + "  "
              + fmt(Double(f.nanoseconds) / 1e6, 1).padding(8, left: true) + "  "
              + (steady.map { fmt($0, 1) } ?? "-").padding(9, left: true))
    }
    let a = final[0]!, b = final[1]!
    let ratioTicks = b.ticks > 0 ? fmt(Double(a.ticks) / Double(b.ticks), 2) : "n/a (second used 0 ticks)"
    print("ratio first/second: utime+stime \(ratioTicks), exec time \(fmt(Double(a.nanoseconds) / Double(max(b.nanoseconds, 1)), 2))"
          + ((atWarmup[0] != nil && atWarmup[1] != nil)
             ? ", steady \(fmt(Double(a.nanoseconds - atWarmup[0]!.nanoseconds) / Double(max(b.nanoseconds - atWarmup[1]!.nanoseconds, 1)), 2))" : ""))
    return 0
}

func fmt(_ v: Double, _ decimals: Int = 1) -> String {
    var p = 1.0
    for _ in 0..<decimals { p *= 10 }
    let r = (v * p).rounded() / p
    var s = String(r)
    if let dot = s.firstIndex(of: ".") {
        let have = s.distance(from: dot, to: s.endIndex) - 1
        if have < decimals { s += String(repeating: "0", count: decimals - have) }
        if decimals == 0 { s = String(s[..<dot]) }
    } else if decimals > 0 {
        s += "." + String(repeating: "0", count: decimals)
    }
    return s
}

extension String {
    func padding(_ width: Int, left: Bool = false) -> String {
        count >= width ? self : (left ? String(repeating: " ", count: width - count) + self : self + String(repeating: " ", count: width - count))
    }
}
