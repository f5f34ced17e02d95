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

    /// A log joined while a test runs (steertop started after the benchmark): the
    /// streams' sockets, printed before, are found in the log's tail, so their flows are
    /// named; a finished test's are not, nor a running stream's that has ended.
    @Test func aTestRunningWhenTheLogIsJoinedHasItsConnections() throws {
        let dir = TemporaryDirectory()
        func test(_ n: Int, from port: Int, streams: [Int], ended: Bool) -> String {
            var log = "-----------------------------------------------------------\n"
                + "Server listening on 5201 (test #\(n))\n"
                + "-----------------------------------------------------------\n"
                + "Accepted connection from 192.0.2.2, port \(port)\n"
            for id in streams { log += "[  \(id)] local 192.0.2.1 port 5201 connected to 192.0.2.2 port \(port + id)\n" }
            log += "[ ID] Interval           Transfer     Bitrate\n"
            for id in streams { log += "[  \(id)]   0.00-1.00   sec   100 MBytes   839 Mbits/sec\n" }
            if ended {
                for id in streams { log += "[  \(id)]   0.00-10.00  sec  1.00 GBytes   859 Mbits/sec                  receiver\n" }
            }
            return log
        }
        // Test 1 ended; test 2 runs (stream 7's receiver summary is in, 5's is not).
        dir.write("server.log", test(1, from: 40000, streams: [5], ended: true)
            + test(2, from: 50000, streams: [5, 7], ended: false)
            + "[  7]   0.00-1.00   sec   100 MBytes   839 Mbits/sec                  receiver\n")
        let feed = IperfFeed()
        feed.follow(file: dir.file("server.log"))
        #expect(feed.poll(now: 0).streams.isEmpty)
        let fd = try LibC.open(dir.file("server.log"), O_WRONLY | O_APPEND).get()
        _ = LibC.writeAll(fd, Array("[  5]   1.00-2.00   sec   100 MBytes   839 Mbits/sec\n".utf8))
        LibC.close(fd)
        let u = feed.poll(now: 1)
        #expect(u.streams.map(\.id) == ["server/t1/5"])
        #expect(u.connections == ["server/t1/5": IperfConnection(localHost: "192.0.2.1", localPort: 5201,
                                                                  remoteHost: "192.0.2.2", remotePort: 50005)])

        // A long test: its connection lines are more than the first 256 KiB back.
        let interval = "[  5]   1.00-2.00   sec   100 MBytes   839 Mbits/sec\n"
        dir.write("long.log", test(1, from: 60000, streams: [5], ended: false)
            + String(repeating: interval, count: (300 << 10) / interval.utf8.count))
        let long = IperfFeed()
        long.follow(file: dir.file("long.log"))
        _ = long.poll(now: 0)
        let fd3 = try LibC.open(dir.file("long.log"), O_WRONLY | O_APPEND).get()
        _ = LibC.writeAll(fd3, Array(interval.utf8))
        LibC.close(fd3)
        #expect(long.poll(now: 1).connections["long/t1/5"]?.remotePort == 60005)

        // The first tail (256 KiB) starts exactly at a connection line: that line counts.
        let l5 = "[  5] local 192.0.2.1 port 5201 connected to 192.0.2.2 port 61005\n"
        let l7 = "[  7] local 192.0.2.1 port 5201 connected to 192.0.2.2 port 61007\n"
        let head = "Accepted connection from 192.0.2.2, port 61000\n"
        var rest = "[ ID] Interval           Transfer     Bitrate\n"
        let room = (256 << 10) - l5.utf8.count - l7.utf8.count - rest.utf8.count
        rest += String(repeating: interval, count: room / interval.utf8.count - 1)
        let last = room - (room / interval.utf8.count - 1) * interval.utf8.count
        rest += String(interval.dropLast()) + String(repeating: " ", count: last - interval.utf8.count) + "\n"
        #expect((l5 + l7 + rest).utf8.count == 256 << 10)
        dir.write("edge.log", String(repeating: interval, count: 10) + head + l5 + l7 + rest)
        let edge = IperfFeed()
        edge.follow(file: dir.file("edge.log"))
        _ = edge.poll(now: 0)
        let fd4 = try LibC.open(dir.file("edge.log"), O_WRONLY | O_APPEND).get()
        _ = LibC.writeAll(fd4, Array((interval + "[  7]" + interval.dropFirst(5)).utf8))
        LibC.close(fd4)
        let e = edge.poll(now: 1)
        #expect(e.connections["edge/t1/5"]?.remotePort == 61005, "\(e.connections)")
        #expect(e.connections["edge/t1/7"]?.remotePort == 61007)

        // A log whose last test ended: nothing is carried over.
        dir.write("idle.log", test(1, from: 40000, streams: [5], ended: true) + "Server listening on 5201 (test #2)\n")
        let idle = IperfFeed()
        idle.follow(file: dir.file("idle.log"))
        _ = idle.poll(now: 0)
        let fd2 = try LibC.open(dir.file("idle.log"), O_WRONLY | O_APPEND).get()
        _ = LibC.writeAll(fd2, Array("[  5]   0.00-1.00   sec   100 MBytes   839 Mbits/sec\n".utf8))
        LibC.close(fd2)
        #expect(idle.poll(now: 1).connections.isEmpty)
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
