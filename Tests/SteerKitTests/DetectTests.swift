import Testing
import SteerKit

/// The mode recognised from a sample's numbers is the mode recognised from the same
/// settings as the files' text (what `status` reads): one detection, two ways in.
@Suite struct DetectTests {
    static func sample(sock: Int?, node: [(String?, Int?)], pods: [(String?, Int?)], nodeIface: String = "eth1") -> Sample {
        var s = Sample(sockFlowEntries: sock)
        s.ifaces.append(InterfaceSample(name: nodeIface, netns: "node", queues: node.enumerated().map {
            QueueState(queue: $0.offset, rpsCPUs: $0.element.0, rpsFlowCount: $0.element.1)
        }))
        // An interface the config does not cover: ignored both ways.
        s.ifaces.append(InterfaceSample(name: "docker0", netns: "node", queues: [QueueState(queue: 0, rpsCPUs: "zz", rpsFlowCount: 9)]))
        for (k, q) in pods.enumerated() {
            s.ifaces.append(InterfaceSample(name: "eth0", netns: "pod\(k)", queues: [QueueState(queue: 0, rpsCPUs: q.0, rpsFlowCount: q.1)]))
        }
        return s
    }

    /// The files' text of a sample, as the detection read it before it took numbers.
    static func values(_ s: Sample, config: SteeringConfig) -> [(SteeringFile, String?)] {
        var out: [(SteeringFile, String?)] = [(.sockFlowEntries, s.sockFlowEntries.map(String.init))]
        for i in s.ifaces {
            let isPod = i.netns != "node"
            if !isPod && !config.nodeIfaces.matches(i.name) { continue }
            for q in i.queues {
                out.append((SteeringFile(netns: i.netns, iface: i.name, queue: q.queue, knob: .rpsCPUs, isPod: isPod), q.rpsCPUs))
                out.append((SteeringFile(netns: i.netns, iface: i.name, queue: q.queue, knob: .rpsFlowCount, isPod: isPod),
                            q.rpsFlowCount.map(String.init)))
            }
        }
        return out
    }

    @Test(arguments: [
        (sample(sock: 0, node: [("0", 0)], pods: [("0", 0)]), ObservedMode.mode(.baseline)),
        (sample(sock: 0, node: [("3", 0), ("3", 0)], pods: [("0", 0)]), .mode(.rps)),
        (sample(sock: 0, node: [("3", 0)], pods: [("3", 0), ("3", 0)]), .mode(.rpsPlus)),
        (sample(sock: 32768, node: [("0", 32768)], pods: [("0", 0)]), .mode(.rfs)),
        (sample(sock: 32768, node: [("0", 32768)], pods: [("0", 32768)]), .mode(.rfsPlus)),
        (sample(sock: 0, node: [("3", 0), ("1", 0)], pods: []), .custom),
        (sample(sock: 0, node: [("x", 0)], pods: []), .custom),
        (sample(sock: nil, node: [("0", nil)], pods: [(nil, nil)]), .mode(.baseline)),
        (sample(sock: 0, node: [], pods: [("3", 0)]), .unknown),
    ])
    func aSampleAndTheFilesAgree(sample: Sample, expected: ObservedMode) {
        let config = SteeringConfig()
        let fromSample = Steering.detect(sample, nodeNetns: "node", config: config)
        let fromFiles = Steering.detect(Self.values(sample, config: config), config: config)
        #expect(fromSample == fromFiles)
        #expect(fromSample.observed == expected, "\(fromSample.detail)")
    }
}
