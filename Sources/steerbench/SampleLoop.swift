import SteerKit

/// `steerbench sample-loop N [NETNS-GLOB]`: N ticks of the recorder's work (sample, mode,
/// encode) back to back, without sleeping; prints the mean time per tick.
func sampleLoop(_ args: [String]) -> Int32 {
    let n = args.first.flatMap { Int($0) } ?? 1000
    let pods = args.count > 1 ? [args[1]] : []
    do {
        let session = try Session(targets: WatchTargets(pods: pods, podIfaces: NamePatterns(["*"])), steering: SteeringConfig())
        var out = JSONBuffer(capacity: 16384)
        var bytes = 0
        let start = LibC.monotonic()
        for _ in 0..<n {
            let (sample, _) = session.next()
            out.reset()
            RecordCodec.encode(.sample(sample), into: &out)
            bytes += out.count
        }
        let per = (LibC.monotonic() - start) / Double(n)
        print("\(n) ticks: \(fmt(per * 1e6, 1)) µs per tick, \(bytes / n) bytes per sample")
        return 0
    } catch {
        printError("steerbench: \(error)")
        return 1
    }
}
