import Testing
import SteerKit

extension LabTests {
    @Suite struct Throughput {
        /// steertop's view of 4 iperf3 streams over 10 s agrees with iperf3's own receiver
        /// summaries and with the kernel's rx counters of the server pods' eth0.
        @Test func crossCheckWithIperf3AndTheKernel() throws {
            let lab = try LabFixture(pods: 4)
            let out = lab.state.dir.file("cross.jsonl")
            let recorder = try #require(try? LibC.spawn([steertopBinary, "record", "--duration", "15", "--out", out],
                                                        environment: lab.state.environment).get())
            defer { Processes.terminate([recorder]) }
            #expect(waitUntil { recordCount(out) >= 1 }, "the recorder samples before the traffic starts")
            let t = try steertop(["lab", "traffic", "--replicas", "4", "--duration", "10"], state: lab.state)
            #expect(t.status == 0, "\(t.stderr)")
            #expect(Processes.waitForExit([recorder], seconds: 30))

            let contents = try RecordingReader.read(out)
            #expect(contents.problems.isEmpty)
            var samples: [SteerKit.Sample] = []
            var ends: [StreamEnd] = []
            for r in contents.records {
                if case .sample(let s) = r { samples.append(s) }
                if case .streamEnd(let e) = r { ends.append(e) }
            }
            #expect(ends.count == 4, "one stream_end per stream: \(ends.map(\.id))")

            // Per stream: the mean of steertop's ticks while the stream reported, against
            // iperf3's receiver figure for the whole test (10 s of 1 s intervals).
            for e in ends {
                let rates = samples.compactMap { s in s.streams.first { $0.id == e.id && $0.state == nil }?.bps }
                #expect(rates.count >= 8, "\(e.id) reported in \(rates.count) ticks")
                let mean = rates.reduce(0, +) / Double(max(rates.count, 1))
                let error = abs(mean - e.bps) / e.bps
                #expect(error < 0.05, "\(e.id): steertop mean \(mean) vs iperf3 receiver \(e.bps) (\(error * 100)%)")
            }

            // Total: over the ticks when all four streams reported, against the sum of the
            // server pods' eth0 rx rates that the same samples read from /proc/net/dev.
            let full = samples.filter { s in s.streams.filter { $0.state == nil }.count == 4 }
            #expect(full.count >= 7)
            let total = full.compactMap(\.totalBps).reduce(0, +) / Double(full.count)
            let kernel = full.map { s in
                s.ifaces.filter { $0.netns.hasPrefix("steer-server-pod") && $0.name == "eth0" }.map(\.rxBps).reduce(0, +)
            }.reduce(0, +) / Double(full.count)
            #expect(kernel > 0)
            let error = abs(total - kernel) / kernel
            #expect(error < 0.05, "total \(total) vs eth0 rx \(kernel) (\(error * 100)%)")
        }
    }
}

/// The feed on log files: no lab, no root (they ran inside the lab's root-only suite).
@Suite struct IperfFeedFileTests {
    @Test func aStreamThatStopsReportingIsStale() throws {
        let dir = TemporaryDirectory()
        let log = dir.file("server.log")
        let feed = IperfFeed()
        feed.follow(file: log)
        feed.staleAfter = 1
        _ = feed.poll(now: 0)
        // A log that appears after we started following it (tail -F).
        let text = """
        -----------------------------------------------------------
        Server listening on 5201 (test #1)
        -----------------------------------------------------------
        Accepted connection from 10.0.0.1, port 40000
        [  5] local 10.0.0.2 port 5201 connected to 10.0.0.1 port 40002
        [ ID] Interval           Transfer     Bitrate
        [  5]   0.00-1.00   sec   834 MBytes  6.99 Gbits/sec

        """
        dir.write("server.log", text)
        let live = feed.poll(now: 1)
        #expect(live.streams == [StreamRate(id: "server/t1/5", bps: 6.99e9)])
        let later = feed.poll(now: 3)
        #expect(later.streams == [StreamRate(id: "server/t1/5", bps: 6.99e9, state: "stale")])
        // Truncated and written again: read from its start.
        dir.write("server.log", "iperf3: error - the server is busy running a test. try again later\n")
        let busy = feed.poll(now: 4)
        #expect(busy.streams.contains { $0.state == "error: the server is busy running a test. try again later" })
        #expect(busy.problems.contains { $0.contains("busy") })
    }

    @Test func garbageAndMissingLogsAreStatesNotCrashes() throws {
        let dir = TemporaryDirectory()
        let feed = IperfFeed()
        feed.follow(file: dir.file("not-yet.log"))
        feed.follow(file: dir.file("garbage.log"))
        feed.follow(file: dir.file("good.log"))
        _ = feed.poll(now: 0)
        var garbage = [UInt8](repeating: 0xff, count: 1 << 20)
        garbage += Array("\n\u{0}\u{1}binary\n".utf8)
        _ = LibC.writeFileAtomically(dir.file("garbage.log"), String(decoding: garbage, as: UTF8.self))
        dir.write("good.log", "[  5]   0.00-1.00   sec   100 MBytes   839 Mbits/sec\n")
        let u = feed.poll(now: 1)
        #expect(u.problems.contains { $0.contains("waiting for") && $0.contains("not-yet.log") })
        #expect(u.streams == [StreamRate(id: "good/t0/5", bps: 839e6)] || u.streams.map(\.bps) == [839e6])
    }
}
