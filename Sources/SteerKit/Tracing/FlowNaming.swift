#if canImport(Glibc)
import Glibc
#endif

extension FlowRate {
    /// The flows, each named by the iperf3 stream whose socket it is (`stream`), from the
    /// connections iperf3 printed ("local A port P connected to B port Q"), by stream id.
    /// A flow whose endpoints are the connection's own (the socket of the iperf3 that
    /// printed it) takes that stream first; one with them the other way round (the peer's
    /// socket: the receiver's data when a client printed it) next. Several streams on one
    /// socket (a client's and its server's logs both followed): the first id in order.
    public static func naming(_ flows: [FlowRate], by connections: [String: IperfConnection]) -> [FlowRate] {
        guard !connections.isEmpty, !flows.isEmpty else { return flows }
        var own: [String: String] = [:], peer: [String: String] = [:]
        for (id, c) in connections.sorted(by: { $0.key < $1.key }) {
            guard let local = endpoint(c.localHost, c.localPort), let remote = endpoint(c.remoteHost, c.remotePort) else { continue }
            if own[local + " " + remote] == nil { own[local + " " + remote] = id }
            if peer[remote + " " + local] == nil { peer[remote + " " + local] = id }
        }
        return flows.map { f in
            var f = f
            let key = f.local + " " + f.remote
            f.stream = own[key] ?? peer[key]
            return f
        }
    }

    /// An iperf3 host and port in the form the tracer gives a flow's endpoint
    /// ("10.66.1.11:58000", IPv6 as "[…]:port", IPv4-mapped IPv6 as IPv4); nil for a
    /// host that is not an address.
    static func endpoint(_ host: String, _ port: Int) -> String? {
        guard (0...65535).contains(port) else { return nil }
        var v4 = in_addr(), v6 = in6_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return FlowID.endpoint(withUnsafeBytes(of: &v4) { Array($0) }, UInt16(port))
        }
        if inet_pton(AF_INET6, host, &v6) == 1 {
            return FlowID.endpoint(withUnsafeBytes(of: &v6) { Array($0) }, UInt16(port))
        }
        return nil
    }
}
