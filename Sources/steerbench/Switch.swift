import SteerKit

/// `steerbench switch [ROUNDS]`: switches the lab's server node and pods through the five
/// modes round-robin, each applied and verified in-process as `steertop apply` does, and
/// prints the median and worst switch time.
func switchModes(_ args: [String]) -> Int32 {
    let rounds = args.first.flatMap { Int($0) } ?? 50
    guard Lab.isUp() else {
        print("the lab is not up: run `steertop lab up --pods 16` first")
        return 1
    }
    do {
        let target = try LocalSteeringTarget(node: Lab.serverNode, pods: [Lab.serverPodPattern])
        let config = SteeringConfig()
        var times: [Double] = []
        var files = 0
        for i in 0..<rounds {
            let mode = Mode.allCases[i % Mode.allCases.count]
            let start = LibC.monotonic()
            let plan = Steering.plan(mode, target: target, config: config)
            let result = Steering.apply(plan, target: target)
            times.append(LibC.monotonic() - start)
            guard result.ok else {
                print("switch \(i) to \(mode) failed: \(result.errors.joined(separator: "; "))")
                return 1
            }
            files = plan.writes.count
        }
        _ = Steering.apply(Steering.plan(.baseline, target: target, config: config), target: target)
        let sorted = times.sorted()
        let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        print("\(rounds) switches over \(target.podNetns.count) pods, \(files) files each (plan, write, read back):")
        print("median \(fmt(median * 1000, 2)) ms, worst \(fmt(sorted.last! * 1000, 2)) ms, best \(fmt(sorted.first! * 1000, 2)) ms")
        return 0
    } catch {
        print("steerbench: \(error)")
        return 1
    }
}
