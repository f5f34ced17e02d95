#if canImport(Glibc)
import Glibc
#endif
import SteerKit

/// `steerbench compress [SAMPLES] [PODS]`: a node of PODS pods (110 by default: a cali*
/// on the node and an eth0 in each pod's namespace, 16 CPUs, one iperf3 stream per pod)
/// recorded SAMPLES times (600: ten minutes at 1 Hz) through RecordingWriter, plain,
/// zstd and gzip side by side in the same loop (each tick writes the same sample to the
/// three files in turn, so noise falls on all three alike). Prints bytes per sample and
/// the CPU time of each writer per tick (encode, compress, write(2)).
func compressBench(_ args: [String]) -> Int32 {
    let samples = args.count > 0 ? Int(args[0]) ?? 600 : 600
    let pods = args.count > 1 ? Int(args[1]) ?? 110 : 110
    let dir = TemporaryDirectory(prefix: "steerbench-compress")
    let header = RecordingHeader(started: Timestamp.now(), host: "bench", kernel: "6.1", cpus: 16, intervalSeconds: 1,
                                 toolVersion: "bench", argv: ["steertop", "record"],
                                 targets: RecordingTargets(node: "", ifaces: ["eth1", "vxlan.calico", "cali*"], netns: ["cni-*"], podIfaces: []))
    let kinds: [RecordingCompression] = [.none, .zstd, .gzip]
    var writers: [RecordingWriter] = []
    for k in kinds {
        do { writers.append(try RecordingWriter(creating: dir.file("r.jsonl" + k.suffix), header: header)) } catch {
            printError("\(error)")
            return 1
        }
    }
    var seed: UInt64 = 0x9e3779b97f4a7c15
    func uniform() -> Double {
        seed = seed &* 6364136223846793005 &+ 1442695040888963407
        return Double(seed >> 11) / Double(1 << 53)
    }
    let podIDs = (0..<pods).map { k in "cni-\(String(k * 2654435761 % 0xffffffff, radix: 16))-4d2b-4e7a-9c1e-2b7f0a\(k)" }
    let cali = (0..<pods).map { k in "cali\(String((k + 7) * 40503 % 0xffffff, radix: 16))a2b3c4" }
    var cpu = [Double](repeating: 0, count: kinds.count)
    for tick in 0..<samples {
        let rate = 18e9 * (0.9 + 0.2 * uniform())
        let cpus = (0..<16).map { c in
            CPUUsage(cpu: c, usr: 3 + uniform(), nice: 0, sys: 20 + 5 * uniform(), iowait: 0, irq: 0.2, soft: 30 + 20 * uniform(),
                     steal: 0, guest: 0, gnice: 0, idle: 40 + 10 * uniform())
        }
        var ifaces = [InterfaceSample(name: "eth1", netns: "", rxBps: rate.rounded(), txBps: (rate * 0.02).rounded(),
                                      rxPps: (rate / 11_600).rounded(), txPps: (rate / 120_000).rounded(),
                                      queues: (0..<4).map { QueueState(queue: $0, rpsCPUs: "ffff", rpsFlowCount: 32768) }),
                      InterfaceSample(name: "vxlan.calico", netns: "", rxBps: rate.rounded(), queues: [QueueState(queue: 0, rpsCPUs: "ffff", rpsFlowCount: 32768)])]
        for k in 0..<pods {
            let share = rate / Double(pods) * (0.8 + 0.4 * uniform())
            ifaces.append(InterfaceSample(name: cali[k], netns: "", rxBps: (share * 0.02).rounded(), txBps: share.rounded(),
                                          rxPps: (share / 120_000).rounded(), txPps: (share / 11_800).rounded(),
                                          queues: [QueueState(queue: 0, rpsCPUs: "ffff", rpsFlowCount: 32768)]))
            ifaces.append(InterfaceSample(name: "eth0", netns: podIDs[k], rxBps: share.rounded(), txBps: (share * 0.02).rounded(),
                                          rxPps: (share / 11_800).rounded(), txPps: (share / 120_000).rounded(),
                                          queues: [QueueState(queue: 0, rpsCPUs: "ffff", rpsFlowCount: 32768)]))
        }
        let streams = (0..<pods).map { StreamRate(id: "iperf3-server-\($0)", bps: (rate / Double(pods) * (0.8 + 0.4 * uniform())).rounded()) }
        let sample = Sample(t: Double(tick + 1), mode: "rfs+", cpus: cpus, netRX: (0..<16).map { _ in (20_000 * uniform()).rounded() },
                            netTX: (0..<16).map { _ in (2_000 * uniform()).rounded() },
                            softnet: (0..<16).map { SoftnetRates(cpu: $0, processed: (60_000 * uniform()).rounded(), dropped: 0, timeSqueeze: 0, receivedRPS: (40_000 * uniform()).rounded(), flowLimit: 0) },
                            ifaces: ifaces, sockFlowEntries: 32768, streams: streams, totalBps: rate.rounded())
        for (i, w) in writers.enumerated() {
            let start = processCPU()
            do { try w.write(.sample(sample)) } catch {
                printError("\(error)")
                return 1
            }
            cpu[i] += processCPU() - start
        }
    }
    for w in writers { w.close() }
    let plain = Double(writers[0].bytes) / Double(samples)
    print("compressed recording: \(samples) samples of a node with \(pods) pods (16 CPUs, \(2 * pods + 2) interfaces, \(pods) streams)")
    for (i, k) in kinds.enumerated() {
        let perSample = Double(writers[i].bytes) / Double(samples)
        let us = cpu[i] / Double(samples) * 1e6
        let name = k == .none ? "plain" : k.rawValue
        print("  \(name.padding(5)) \(fixed(perSample / 1000, 1)) KB/sample (\(fixed(plain / perSample, 1))× smaller)  " +
              "writer CPU \(fixed(us, 0)) µs/tick (\(fixed(cpu[i] / cpu[0], 2))× plain)")
    }
    return 0
}

func processCPU() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func fixed(_ v: Double, _ decimals: Int) -> String { StatsReport.fixed(v, decimals) }

extension String {
    func padding(_ n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
}
