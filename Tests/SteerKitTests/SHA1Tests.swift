import Testing
import SteerKit

/// SHA-1 names Calico's veths; checked against the test vectors of RFC 3174 (section 7.3).
@Suite struct SHA1Tests {
    @Test(arguments: [
        ("abc", 1, "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1, "84983e441c3bd26ebaae4aa1f95129e5e54670f1"),
        ("a", 1_000_000, "34aa973cd4c4daa4f61eeb2bdbad27316534016f"),
        ("0123456701234567012345670123456701234567012345670123456701234567", 10, "dea356a2cddd90c7a7ecedc5ebb563934f460452"),
    ])
    func rfc3174Vectors(text: String, repeats: Int, digest: String) {
        #expect(SHA1.hex(String(repeating: text, count: repeats)) == digest)
    }

    @Test func theEmptyString() {
        #expect(SHA1.hex("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
    }

    /// Calico: "cali" + the first 11 hex digits of sha1("<namespace>.<pod>").
    @Test func calicoVethName() {
        let name = Calico.interfaceName(namespace: "steer-lab", pod: "iperf3-server-1")
        #expect(name == "cali" + String(SHA1.hex("steer-lab.iperf3-server-1").prefix(11)))
        #expect(name.count == 15, "IFNAMSIZ - 1")
        #expect(KubePod(namespace: "steer-lab", name: "iperf3-server-1", ip: nil, node: nil).caliInterface == name)
    }
}
