import Testing
@testable import SteerKit

/// Traced flows named by the iperf3 stream whose socket they are (FlowRate.naming).
@Suite struct FlowNamingTests {
    let client = IperfConnection(localHost: "10.66.1.11", localPort: 58000, remoteHost: "10.66.2.11", remotePort: 5201)

    func flow(_ local: String, _ remote: String) -> FlowRate {
        FlowRate(netns: "steer-server-pod1", local: local, remote: remote, segments: [1, 0], bps: 8)
    }

    /// The receiver's flow is the client's connection the other way round; the client's
    /// own flow (its ACKs) has it as printed; both take the stream's name.
    @Test func bothSidesOfAStreamTakeItsName() {
        let named = FlowRate.naming([flow("10.66.2.11:5201", "10.66.1.11:58000"), flow("10.66.1.11:58000", "10.66.2.11:5201"),
                                     flow("10.66.2.11:5201", "10.66.1.11:58001")],
                                    by: ["pod1/t1/5": client])
        #expect(named.map(\.stream) == ["pod1/t1/5", "pod1/t1/5", nil])
    }

    /// A server's log prints its own socket: its flow takes the server's id, not the
    /// client's, when both logs are followed; IPv4-mapped and IPv6 hosts match the
    /// tracer's form of the address.
    @Test func aSocketsOwnConnectionWinsAndAddressesAreCompared() {
        let server = IperfConnection(localHost: "::ffff:10.66.2.11", localPort: 5201, remoteHost: "::ffff:10.66.1.11", remotePort: 58000)
        let v6 = IperfConnection(localHost: "2001:db8::2", localPort: 4000, remoteHost: "2001:db8::1", remotePort: 5201)
        let named = FlowRate.naming([flow("10.66.2.11:5201", "10.66.1.11:58000"),
                                     flow("[2001:db8:0:0:0:0:0:1]:5201", "[2001:db8:0:0:0:0:0:2]:4000")],
                                    by: ["client/t1/5": client, "server/t1/5": server, "v6/t1/5": v6])
        #expect(named.map(\.stream) == ["server/t1/5", "v6/t1/5"])
    }

    /// A host that is not an address (a name iperf3 printed as given) names nothing.
    @Test func aHostThatIsNotAnAddressNamesNothing() {
        let odd = IperfConnection(localHost: "server.example", localPort: 5201, remoteHost: "10.66.1.11", remotePort: 58000)
        #expect(FlowRate.naming([flow("10.66.2.11:5201", "10.66.1.11:58000")], by: ["x/t1/5": odd]).map(\.stream) == [nil])
    }
}
