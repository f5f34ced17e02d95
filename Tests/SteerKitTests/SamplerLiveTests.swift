import Testing
import SteerKit

/// Two network namespaces joined by a veth pair, removed when the value goes away (even
/// when the test fails).
final class VethPair {
    let a: String, b: String
    let ifA = "steer-va", ifB = "steer-vb"
    init(tag: String) throws {
        a = "steer-t\(LibC.pid)-\(tag)-a"
        b = "steer-t\(LibC.pid)-\(tag)-b"
        try Command.check(["ip", "netns", "add", a])
        try Command.check(["ip", "netns", "add", b])
        try Command.check(["ip", "link", "add", ifA, "netns", a, "type", "veth", "peer", "name", ifB, "netns", b])
        try Command.check(["ip", "-n", a, "addr", "add", "198.51.100.1/24", "dev", ifA])
        try Command.check(["ip", "-n", b, "addr", "add", "198.51.100.2/24", "dev", ifB])
        for (ns, i) in [(a, ifA), (b, ifB)] {
            try Command.check(["ip", "-n", ns, "link", "set", i, "up"])
            try Command.check(["ip", "-n", ns, "link", "set", "lo", "up"])
        }
    }
    deinit {
        _ = try? Command.run(["ip", "netns", "del", a])
        _ = try? Command.run(["ip", "netns", "del", b])
    }
}

let isRoot = LibC.isRoot

@Suite struct SamplerLiveTests {
    @Test func hostSampleMatchesProcAndSys() throws {
        let sampler = try Sampler(targets: WatchTargets())
        _ = sampler.sample()
        LibC.sleep(0.3)
        let s = sampler.sample()

        let online = CPUSet(list: try LibC.readText("/sys/devices/system/cpu/online").get().trimmingCharacters())!
        #expect(s.cpus.map(\.cpu) == online.cpus)
        #expect(s.netRX.count == s.cpus.count && s.netTX.count == s.cpus.count)
        for c in s.cpus {
            let total = c.usr + c.nice + c.sys + c.iowait + c.irq + c.soft + c.steal + c.guest + c.gnice + c.idle
            #expect(abs(total - 100) < 0.6, "cpu\(c.cpu) shares add up to \(total)")
        }
        #expect(Set(s.softnet.map(\.cpu)) == Set(online.cpus))

        let names = try LibC.listDirectory("/sys/class/net").get().filter { $0 != "lo" }.sorted()
        #expect(s.ifaces.map(\.name).sorted() == names)
        for i in s.ifaces {
            let queues = try LibC.listDirectory("/sys/class/net/\(i.name)/queues").get()
                .filter { $0.hasPrefix("rx-") }.compactMap { Int($0.dropFirst(3)) }.sorted()
            #expect(i.queues.map(\.queue) == queues)
            for q in i.queues {
                let mask = try LibC.readText("/sys/class/net/\(i.name)/queues/rx-\(q.queue)/rps_cpus").get().trimmingCharacters()
                #expect(q.rpsCPUs == mask)
                let flows = try LibC.readText("/sys/class/net/\(i.name)/queues/rx-\(q.queue)/rps_flow_cnt").get().trimmingCharacters()
                #expect(q.rpsFlowCount == Int(flows))
            }
        }
        let sock = try LibC.readText("/proc/sys/net/core/rps_sock_flow_entries").get().trimmingCharacters()
        #expect(s.sockFlowEntries == Int(sock))
    }

    @Test func interfaceFilterTakesGlobs() throws {
        let sampler = try Sampler(targets: WatchTargets(nodeIfaces: NamePatterns(["l*"])))
        let s = sampler.sample()
        #expect(s.ifaces.map(\.name) == ["lo"])
    }

    @Test func missingRootIsOneClearError() {
        #expect {
            _ = try Sampler(targets: WatchTargets(root: "/nonexistent-root"))
        } throws: { error in
            (error as? SteerError)?.description == "cannot open /nonexistent-root/proc/stat: no such file or directory"
        }
    }

    @Test(.enabled(if: isRoot, "needs root to create network namespaces"))
    func podNamespacesThroughTheirOwnSysfs() throws {
        let pair = try VethPair(tag: "smp")
        // Set rps_cpus inside b the way a user would, independently of steertop.
        try Command.check(["ip", "netns", "exec", pair.b, "tee", "/sys/class/net/\(pair.ifB)/queues/rx-0/rps_cpus"], input: "1")
        let sampler = try Sampler(targets: WatchTargets(nodeIfaces: NamePatterns(["lo"]), pods: ["steer-t\(LibC.pid)-smp-*"]))
        _ = sampler.sample()
        // Traffic from a to b: a one-test iperf3 server in b, a client in a.
        try Command.check(["ip", "netns", "exec", pair.b, "iperf3", "-s", "-1", "-D", "-p", "5299"])
        LibC.sleep(0.3)
        try Command.check(["ip", "netns", "exec", pair.a, "iperf3", "-c", "198.51.100.2", "-p", "5299", "-u", "-b", "20M", "-t", "1"])
        let s = sampler.sample()
        #expect(sampler.podNamespaces == [pair.a, pair.b])
        let vb = try #require(s.ifaces.first { $0.netns == pair.b && $0.name == pair.ifB })
        #expect(vb.queues.first?.rpsCPUs.flatMap { CPUSet(mask: $0) } == CPUSet([0]))
        #expect(vb.rxBps > 1_000_000, "20 Mbit/s of UDP for 1 s should show on \(pair.ifB)")
        #expect(s.ifaces.contains { $0.netns == pair.a && $0.name == pair.ifA })
        #expect(!s.ifaces.contains { $0.netns == pair.b && $0.name == "lo" })
        // The host's view of the same name must not leak in: no steer-vb in the host.
        #expect(!s.ifaces.contains { $0.netns == "" && $0.name == pair.ifB })

        // A namespace that vanishes mid-recording is said, and sampling goes on.
        try Command.check(["ip", "netns", "del", pair.a])
        let after = sampler.sample()
        #expect(after.missing.contains("netns \(pair.a) vanished"))
        #expect(after.ifaces.contains { $0.netns == pair.b })
        #expect(sampler.podNamespaces == [pair.b])
    }

    @Test(.enabled(if: isRoot, "needs root to create network namespaces"))
    func aNodeNamespaceMadeAgainIsWatchedAgain() throws {
        let node = "steer-t\(LibC.pid)-node"
        defer { _ = try? Command.run(["ip", "netns", "del", node]) }
        try Command.check(["ip", "netns", "add", node])
        let sampler = try Sampler(targets: WatchTargets(node: node, nodeIfaces: NamePatterns(["*"])))
        _ = sampler.sample()
        try Command.check(["ip", "netns", "del", node])
        #expect(sampler.sample().missing.contains("netns \(node) vanished"))
        try Command.check(["ip", "netns", "add", node])
        try Command.check(["ip", "-n", node, "link", "add", "steer-new", "type", "veth", "peer", "name", "steer-new2"])
        let again = sampler.sample()
        #expect(again.missing.isEmpty, "\(again.missing)")
        #expect(again.ifaces.contains { $0.name == "steer-new" && $0.netns == node })
    }

    @Test(.enabled(if: isRoot, "needs root to create network namespaces"))
    func literalNamespaceThatIsMissingIsSaid() throws {
        let sampler = try Sampler(targets: WatchTargets(nodeIfaces: NamePatterns(["lo"]), pods: ["steer-no-such-ns"]))
        let s = sampler.sample()
        #expect(s.missing.contains("netns steer-no-such-ns not found"))
    }
}

@Suite struct SamplerBadInputTests {
    @Test func aMissingNetnsDirectoryIsSaidInTheSample() throws {
        let sampler = try Sampler(targets: WatchTargets(nodeIfaces: NamePatterns(["lo"]), pods: ["cni-*"],
                                                        netnsDirectory: "/nonexistent/netns"))
        _ = sampler.sample()
        let s = sampler.sample()
        #expect(s.missing.contains("/nonexistent/netns does not exist: no named network namespaces here"))
        #expect(s.ifaces.map(\.name) == ["lo"], "the host is still sampled")
    }
}
