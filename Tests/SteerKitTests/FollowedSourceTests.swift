import Testing
import SteerKit

@Suite struct FollowedSourceTests {
    @Test func followsAppendsTruncationAndRotation() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("iperf.log")
        let file = FollowedFile(path: path)
        var buf: [UInt8] = []
        #expect(file.read(into: &buf)?.contains("does not exist yet") == true)
        dir.write("iperf.log", "one\n")
        #expect(file.read(into: &buf) == nil)
        #expect(String(decoding: buf, as: UTF8.self) == "one\n")
        // Appended.
        let fd = try LibC.open(path, O_WRONLY | O_APPEND).get()
        _ = LibC.writeAll(fd, Array("two\n".utf8))
        LibC.close(fd)
        buf = []
        _ = file.read(into: &buf)
        #expect(String(decoding: buf, as: UTF8.self) == "two\n")
        // Rotated: renamed away, a new file under the name.
        _ = LibC.rename(path, path + ".1")
        dir.write("iperf.log", "three\n")
        buf = []
        _ = file.read(into: &buf)
        #expect(String(decoding: buf, as: UTF8.self) == "three\n")
        #expect(file.restarted)
        file.restarted = false
        // Truncated and written again (shorter than before).
        let t = try LibC.open(path, O_WRONLY | O_TRUNC).get()
        _ = LibC.writeAll(t, Array("4\n".utf8))
        LibC.close(t)
        buf = []
        _ = file.read(into: &buf)
        #expect(String(decoding: buf, as: UTF8.self) == "4\n")
        #expect(file.restarted)
    }

    @Test func logsWithTheSameNameGetTheirOwnStreamIDs() throws {
        let a = TemporaryDirectory(), b = TemporaryDirectory()
        let feed = IperfFeed()
        feed.follow(file: a.file("server.log"))
        feed.follow(file: b.file("server.log"))
        _ = feed.poll(now: 0)
        let end = "[  5]   0.00-10.00  sec  1.00 GBytes   859 Mbits/sec                  receiver\n"
        a.write("server.log", "[  5]   0.00-1.00   sec   100 MBytes   839 Mbits/sec\n" + end)
        b.write("server.log", "[  5]   0.00-1.00   sec   100 MBytes   839 Mbits/sec\n" + end)
        let u = feed.poll(now: 1)
        #expect(Set(u.ended.map(\.id)) == ["server/t1/5", "server-2/t1/5"], "\(u.ended.map(\.id))")
    }

    @Test func aMissingProgramIsAStateNotACrash() {
        let p = FollowedProcess(["steertop-no-such-kubectl", "logs", "-f"])
        var buf: [UInt8] = []
        let problem = p.read(into: &buf)
        #expect(problem?.contains("steertop-no-such-kubectl is not installed") == true)
        #expect(buf.isEmpty)
    }
}

#if canImport(Glibc)
import Glibc
#endif
