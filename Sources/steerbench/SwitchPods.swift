import SteerKit

/// `steerbench switch-pods [ROUNDS]`: the five modes round-robin on containerd's pods
/// (cni-*: read-only sysfs, made writable and put back per switch) plus their node-side
/// veths, and in the same run, switch for switch, on the lab's namespaces (steer-server and
/// its pods). Each switch is planned, written and read back as `steertop apply` does.
func switchPods(_ args: [String]) -> Int32 {
    let rounds = args.first.flatMap { Int($0) } ?? 50
    guard Lab.isUp() else {
        print("the lab is not up: run `steertop lab up --pods 16` first")
        return 1
    }
    do {
        let pods = try NetnsView.namespaces(matching: ["cni-*"]).get()
        guard !pods.isEmpty else {
            print("no cni-* namespaces: start pods first (benchmarks/switch-pods.sh does)")
            return 1
        }
        let directory = PodDirectory.lookUp(node: "", pods: pods)
        let cri = try LocalSteeringTarget(pods: ["cni-*"])
        let criConfig = SteeringConfig(nodeIfaces: NamePatterns(directory.veths.keys.sorted(by: naturalOrder)))
        let lab = try LocalSteeringTarget(node: Lab.serverNode, pods: [Lab.serverPodPattern])
        let labConfig = SteeringConfig()
        var times: [[Double]] = [[], []]
        var files = [0, 0]
        for i in 0..<rounds {
            let mode = Mode.allCases[i % Mode.allCases.count]
            for (k, (target, config)) in [(cri as SteeringTarget, criConfig), (lab, labConfig)].enumerated() {
                let start = LibC.monotonic()
                let plan = Steering.plan(mode, target: target, config: config)
                let result = Steering.apply(plan, target: target)
                times[k].append(LibC.monotonic() - start)
                guard result.ok, result.warnings.isEmpty else {
                    print("switch \(i) to \(mode) failed: \((result.errors + result.warnings).joined(separator: "; "))")
                    return 1
                }
                files[k] = plan.writes.count
            }
        }
        for (target, config) in [(cri as SteeringTarget, criConfig), (lab, labConfig)] {
            _ = Steering.apply(Steering.plan(.baseline, target: target, config: config), target: target)
        }
        print("\(rounds) switches each, interleaved (plan, write, read back):")
        for (k, what) in ["containerd pods: \(pods.count) cni-* (read-only sysfs) + \(directory.veths.count) node veths",
                          "lab: steer-server + \(lab.podNetns.count) pods"].enumerated() {
            let s = times[k].sorted()
            let median = s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
            print("\(what), \(files[k]) files: median \(fmt(median * 1000, 2)) ms, worst \(fmt(s.last! * 1000, 2)) ms, best \(fmt(s.first! * 1000, 2)) ms")
        }
        return 0
    } catch {
        print("steerbench: \(error)")
        return 1
    }
}
