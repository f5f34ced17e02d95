import Testing
import SteerKit

// The kernel parsers on files captured from a real Debian 12 kernel (6.1.0-56-amd64,
// 6.1.192-2) booted under qemu with 4 and 96 emulated CPUs: Fixtures/kernel/PROVENANCE.md
// says how, and Fixtures/kernel/qemu-capture/ repeats it. Every expected number below was
// read off the fixture files by hand.

private let four = "qemu-debian12-6.1.192-4cpu"
private let ninetySix = "qemu-debian12-6.1.192-96cpu"
private let cpu5Offline = "qemu-debian12-6.1.192-96cpu-cpu5-offline"

/// The bytes of Fixtures/kernel/`folder`/`relative`, read with KernelFile as steertop reads /proc.
private func capture(_ folder: String, _ relative: String) throws -> [UInt8] {
    let file = try KernelFile(fixturesDirectory() + "/kernel/" + folder + "/" + relative)
    return Array(try file.read())
}

private func stat(_ folder: String, _ relative: String = "proc/stat") throws -> [(cpu: Int, times: CPUTimes)] {
    let bytes = try capture(folder, relative)
    var out: [(cpu: Int, times: CPUTimes)] = []
    bytes.withUnsafeBytes { ProcStat.parse($0, into: &out) }
    return out
}

private func softirqs(_ folder: String) throws -> (rx: [UInt64], tx: [UInt64]) {
    let bytes = try capture(folder, "proc/softirqs")
    var rx: [UInt64] = [], tx: [UInt64] = []
    bytes.withUnsafeBytes { ProcSoftirqs.parse($0, netRX: &rx, netTX: &tx) }
    return (rx, tx)
}

private func softnet(_ folder: String, online: [Int]) throws -> [SoftnetCounters] {
    let bytes = try capture(folder, "proc/net/softnet_stat")
    var out: [SoftnetCounters] = []
    bytes.withUnsafeBytes { ProcSoftnet.parse($0, onlineCPUs: online, into: &out) }
    return out
}

private func text(_ folder: String, _ relative: String) throws -> String {
    String(decoding: try capture(folder, relative), as: UTF8.self)
}

/// Every CPU's usage between reading1 and reading2 of `folder`.
private func usage(_ folder: String) throws -> [CPUUsage] {
    let a = try stat(folder, "reading1/proc/stat"), b = try stat(folder, "reading2/proc/stat")
    #expect(a.map(\.cpu) == b.map(\.cpu))
    return zip(a, b).map { CPUUsage.between($0.times, $1.times, cpu: $1.cpu) }
}

private func total(_ u: CPUUsage) -> Double {
    // guest and gnice are inside usr and nice in /proc/stat, so they are not added again.
    u.usr + u.nice + u.sys + u.iowait + u.irq + u.soft + u.steal + u.idle
}

@Suite struct KernelParserManyCPUTests {
    // MARK: 96 CPUs

    @Test func procStatNinetySixCPUs() throws {
        let cpus = try stat(ninetySix)
        #expect(cpus.count == 96)
        #expect(cpus.map(\.cpu) == Array(0..<96))
        // "cpu0 0 0 1456 2052 0 0 56 0 0 0"
        #expect(cpus[0].times == CPUTimes(user: 0, nice: 0, system: 1456, idle: 2052,
                                          iowait: 0, irq: 0, softirq: 56, steal: 0))
        // "cpu95 0 0 7 2729 0 0 2 0 0 0"
        #expect(cpus[95].times == CPUTimes(user: 0, nice: 0, system: 7, idle: 2729,
                                           iowait: 0, irq: 0, softirq: 2, steal: 0))
        #expect(CPUList.parse(try text(ninetySix, "sys/devices/system/cpu/online")) == Array(0..<96))
        #expect(CPUList.parse(try text(ninetySix, "sys/devices/system/cpu/possible")) == Array(0..<96))
    }

    @Test func softirqsNinetySixCPUs() throws {
        let (rx, tx) = try softirqs(ninetySix)
        #expect(rx.count == 96)
        #expect(tx.count == 96)
        // NET_RX: 6 3 0 6 at CPU0-3, then zeros, and 6 at CPU95.
        #expect(rx[0] == 6)
        #expect(rx[1] == 3)
        #expect(rx[3] == 6)
        #expect(rx[95] == 6)
        #expect(rx.reduce(0, +) == 21)
        #expect(tx.allSatisfy { $0 == 0 })
    }

    @Test func softnetNinetySixCPUs() throws {
        let lines = try softnet(ninetySix, online: Array(0..<96))
        #expect(lines.count == 96)
        #expect(lines.map(\.cpu) == Array(0..<96))
        // "00000006 00000000 00000001 ... 00000000": CPU 0 had one time squeeze.
        #expect(lines[0] == SoftnetCounters(cpu: 0, processed: 6, dropped: 0, timeSqueeze: 1,
                                            receivedRPS: 0, flowLimit: 0))
        // "0000000c ... 00000006 00000000 00000000 00000003": CPU 3 got 6 packets by RPS.
        #expect(lines[3] == SoftnetCounters(cpu: 3, processed: 12, dropped: 0, timeSqueeze: 0,
                                            receivedRPS: 6, flowLimit: 0))
        // "00000006 ... 0000005f"
        #expect(lines[95] == SoftnetCounters(cpu: 95, processed: 6, dropped: 0, timeSqueeze: 0,
                                             receivedRPS: 0, flowLimit: 0))
    }

    @Test func cpuUsageOverOneSecondOnNinetySixCPUs() throws {
        let all = try usage(ninetySix)
        #expect(all.count == 96)
        #expect(all.map(\.cpu) == Array(0..<96))
        for u in all {
            #expect(abs(total(u) - 100) <= 0.5, "CPU \(u.cpu): \(total(u))")
            #expect(u.idle >= 95, "CPU \(u.cpu) idle \(u.idle)")
        }
        // cpu95 went from "0 0 7 2763 0 0 2" to "0 0 7 2865 0 0 2": 102 idle ticks of 102.
        #expect(all[95] == CPUUsage(cpu: 95, usr: 0, nice: 0, sys: 0, iowait: 0, irq: 0,
                                    soft: 0, steal: 0, idle: 100))
    }

    @Test func rpsCPUsNinetySixBits() throws {
        let raw = try text(ninetySix, "sys/class/net/lo/queues/rx-0/rps_cpus")
        #expect(raw == "00000000,00000000,0000000f\n")
        let set = try #require(CPUSet(mask: raw))
        #expect(set.cpus == [0, 1, 2, 3])
        #expect(set.mask(bits: 96) == "00000000,00000000,0000000f")
        #expect(set.mask(bits: 96) + "\n" == raw)
    }

    // MARK: 96 CPUs, cpu5 offline

    @Test func cpu5OfflineNinetySixCPUs() throws {
        let online = try #require(CPUList.parse(try text(cpu5Offline, "sys/devices/system/cpu/online")))
        let expected = Array(0..<5) + Array(6..<96)
        #expect(try text(cpu5Offline, "sys/devices/system/cpu/online") == "0-4,6-95\n")
        #expect(online == expected)
        #expect(CPUList.parse(try text(cpu5Offline, "sys/devices/system/cpu/possible")) == Array(0..<96))

        // /proc/stat drops the offline CPU's line.
        let cpus = try stat(cpu5Offline)
        #expect(cpus.count == 95)
        #expect(cpus.map(\.cpu) == expected)
        // "cpu4 0 0 34 3807 0 0 26 0 0 0" is followed by "cpu6 0 0 11 3697 0 0 27 0 0 0".
        #expect(cpus[4].cpu == 4)
        #expect(cpus[5].cpu == 6)
        #expect(cpus[5].times == CPUTimes(user: 0, nice: 0, system: 11, idle: 3697,
                                          iowait: 0, irq: 0, softirq: 27, steal: 0))
        // "cpu95 0 0 8 3108 0 0 2 0 0 0"
        #expect(cpus.last?.times == CPUTimes(user: 0, nice: 0, system: 8, idle: 3108,
                                             iowait: 0, irq: 0, softirq: 2, steal: 0))

        // softnet_stat has 95 lines; the CPU-id column goes 4, 6. Passing an empty online
        // list shows the ids come from the file, not from the line number.
        for list in [online, []] {
            let lines = try softnet(cpu5Offline, online: list)
            #expect(lines.count == 95)
            #expect(lines.map(\.cpu) == expected)
            #expect(lines[5].cpu == 6)
        }

        // /proc/softirqs still has a column for every possible CPU, the offline one too.
        let (rx, _) = try softirqs(cpu5Offline)
        #expect(rx.count == 96)
        #expect(rx[0] == 6)
        #expect(rx[5] == 0)
        #expect(rx[95] == 6)
    }

    // MARK: 4 CPUs

    @Test func procStatFourCPUs() throws {
        let cpus = try stat(four)
        #expect(cpus.map(\.cpu) == [0, 1, 2, 3])
        // "cpu3 3 0 78 510 0 0 2 0 0 0"
        #expect(cpus[3].times == CPUTimes(user: 3, nice: 0, system: 78, idle: 510,
                                          iowait: 0, irq: 0, softirq: 2, steal: 0))
        #expect(CPUList.parse(try text(four, "sys/devices/system/cpu/online")) == [0, 1, 2, 3])
        #expect(CPUList.parse(try text(four, "sys/devices/system/cpu/possible")) == [0, 1, 2, 3])
    }

    @Test func softirqsFourCPUs() throws {
        // "      NET_RX:          9          3          0          6"
        let (rx, tx) = try softirqs(four)
        #expect(rx == [9, 3, 0, 6])
        #expect(tx == [0, 0, 0, 0])
    }

    @Test func softnetFourCPUs() throws {
        let lines = try softnet(four, online: [0, 1, 2, 3])
        #expect(lines.map(\.cpu) == [0, 1, 2, 3])
        // "00000012 ... 00000003 00000000 00000000 00000000"
        #expect(lines[0] == SoftnetCounters(cpu: 0, processed: 0x12, dropped: 0, timeSqueeze: 0,
                                            receivedRPS: 3, flowLimit: 0))
        #expect(lines.map(\.processed) == [0x12, 6, 0, 6])
    }

    @Test func cpuUsageOverOneSecondOnFourCPUs() throws {
        let all = try usage(four)
        #expect(all.map(\.cpu) == [0, 1, 2, 3])
        for u in all {
            #expect(abs(total(u) - 100) <= 0.5, "CPU \(u.cpu): \(total(u))")
            #expect(u.idle >= 95, "CPU \(u.cpu) idle \(u.idle)")
        }
        // cpu0: "2 0 118 529 0 0 4" then "2 0 119 630 0 0 4": 1 system, 101 idle of 102.
        #expect(abs(all[0].sys - 100.0 / 102) < 1e-9)
        #expect(abs(all[0].idle - 10100.0 / 102) < 1e-9)
    }

    @Test func rpsCPUsFourBits() throws {
        // The kernel prints a 4-bit cpumask with one hex digit, whatever was written.
        let raw = try text(four, "sys/class/net/lo/queues/rx-0/rps_cpus")
        #expect(raw == "f\n")
        let set = try #require(CPUSet(mask: raw))
        #expect(set.cpus == [0, 1, 2, 3])
        #expect(set.mask(bits: 4) + "\n" == raw)
    }

    @Test func netDevLoopback() throws {
        // "    lo:    2520      30 ..." in both boots: 15 pings to 127.0.0.1, request and reply each.
        for folder in [four, ninetySix] {
            let bytes = try capture(folder, "proc/net/dev")
            var out: [NetDevCounters] = []
            bytes.withUnsafeBytes { ProcNetDev.parse($0, into: &out) }
            #expect(out == [NetDevCounters(name: "lo", rxBytes: 2520, rxPackets: 30, txBytes: 2520, txPackets: 30)])
        }
    }
}
