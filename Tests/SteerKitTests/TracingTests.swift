import Testing
@testable import SteerKit

/// The parts of tracing that need no root: the embedded object, names, locality, errors.
@Suite struct TracingTests {
    /// The plugin embedded an ELF object for the BPF machine (EM_BPF = 247) with the three
    /// programs' sections.
    @Test func embeddedObjectIsABPFELF() {
        let bytes = Tracer.objectBytes()
        #expect(bytes.count > 1000)
        #expect(Array(bytes.prefix(4)) == [0x7f, 0x45, 0x4c, 0x46])
        #expect(bytes.count > 20 && UInt16(bytes[18]) | UInt16(bytes[19]) << 8 == 247)
        let text = String(decoding: bytes.map { $0 == 0 ? 0x0a : $0 }, as: UTF8.self)
        for section in ["tp_btf/netif_receive_skb", "tp_btf/tcp_probe", "tp_btf/sock_recv_length", ".BTF"] {
            #expect(text.contains(section), "\(section) missing from the object")
        }
    }

    @Test func endpoints() {
        #expect(FlowID.endpoint([10, 66, 2, 11], 5201) == "10.66.2.11:5201")
        // IPv4-mapped (a dual-stack listener such as iperf3's) reads as IPv4.
        #expect(FlowID.endpoint([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 66, 1, 11], 41806) == "10.66.1.11:41806")
        #expect(FlowID.endpoint([0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1], 80) == "[2001:db8:0:0:0:0:0:1]:80")
    }

    func flow(_ segments: [UInt64], reader: Int?) -> FlowLocality {
        FlowLocality(netnsInode: 1, netns: "p", local: "a", remote: "b", localPort: 1, remotePort: 2,
                     segments: segments, skbs: 1, bytes: 1, readerCPU: reader, readerCommand: "iperf3",
                     readerPID: 1, reads: 1)
    }

    @Test func locality() {
        #expect(flow([30, 10], reader: 0).locality == 0.75)
        #expect(flow([30, 10], reader: 1).locality == 0.25)
        #expect(flow([0, 0], reader: 1).locality == nil)
        #expect(flow([3, 1], reader: nil).locality == nil)
        #expect(flow([3, 1], reader: 7).locality == nil, "a reader CPU beyond the columns is no locality")
        #expect(flow([3, 0, 5], reader: 2).processingCPUs == [0, 2])
    }

    @Test func stageSharesAndOrder() {
        let s = ReceiveStage(netnsInode: 1, ifindex: 2, netns: "steer-server", device: "vxlan.calico",
                             packets: [1, 3], bytes: 0)
        #expect(s.shares == [0.25, 0.75])
        #expect(s.cpusUsed == 2)
        let names = ["eth0@steer-server-pod1", "cali1@steer-server", "vxlan.calico@steer-server", "eth1@steer-server"]
        let stages = names.map { n -> ReceiveStage in
            let p = n.split(separator: "@")
            return ReceiveStage(netnsInode: 0, ifindex: 0, netns: String(p[1]), device: String(p[0]), packets: [], bytes: 0)
        }.sorted { $0.order < $1.order }
        #expect(stages.map(\.device) == ["eth1", "vxlan.calico", "cali1", "eth0"])
    }

    @Test func loadErrorsAreOneLine() {
        #expect(Tracer.explainLoad(errno: 38, detail: "x") == "this kernel has no BPF system call (CONFIG_BPF_SYSCALL=n)")
        #expect(Tracer.explainLoad(errno: 2, detail: "attaching tp_btf/tcp_probe: No such file or directory")
                    .hasPrefix("a tracepoint is missing on this kernel: attaching tp_btf/tcp_probe"))
        #expect(!Tracer.explainLoad(errno: 22, detail: "loading: Invalid argument").contains("\n"))
    }
}
