import Testing
import SteerKit

#if canImport(Glibc)
import Glibc
#endif

extension LabTests {
    /// Tracing inside a session (one tracer, read and cleared each tick): what the samples,
    /// the recordings, the statistics and the replayed dashboard get from it.
    @Suite struct TracedSessions {
        /// `steertop record` on the lab with iperf3 traffic in the middle of it: each stage's
        /// packets add up to its device's rx_packets over the same ticks (within 3%), the
        /// iperf3 flows' segments to their payload over the MSS, locality is in [0, 1],
        /// `stats` gives a locality, `--no-trace` records why there are no stages, and the
        /// replay shows both panels.
        @Test func aTracedRecordingAgreesWithRxPacketsAndReplaysThePanels() throws {
            let lab = try LabFixture(pods: 2)
            let work = TemporaryDirectory()
            let path = work.file("traced.jsonl")
            let recorder = try LibC.spawn([steertopBinary, "record", "--duration", "12", "--out", path],
                                          environment: lab.state.environment).get()
            // Traffic starts after the first sample and ends before the last: every packet
            // falls inside the recording, on both sides.
            #expect(waitUntil(seconds: 20) { recordCount(path) >= 1 }, "the first sample")
            let t = try steertop(["lab", "traffic", "--replicas", "2", "--duration", "4"], state: lab.state)
            #expect(t.status == 0, "\(t.stderr)")
            #expect(Processes.waitForExit([recorder], seconds: 30), "the recorder ends")
            let recording = try RecordingReader.read(path)
            #expect(recording.problems.isEmpty)
            let samples = recording.records.compactMap { r -> SteerKit.Sample? in if case .sample(let s) = r { return s } else { return nil } }
            #expect(samples.count >= 8)
            #expect(samples.allSatisfy { $0.traceOff == nil }, "\(samples.compactMap(\.traceOff))")
            let last = try #require(samples.last)
            #expect(last.stages.allSatisfy { $0.totalPps < 1000 }, "the traffic ended before the recording: \(last.stages)")

            // Packets per device over the recording: Σ pps × the tick's length on both sides.
            var previous = 0.0
            var traced: [String: Double] = [:], counted: [String: Double] = [:]
            for s in samples {
                let dt = s.t - previous
                previous = s.t
                for st in s.stages { traced[st.netns + "/" + st.device, default: 0] += st.totalPps * dt }
                for i in s.ifaces { counted[i.netns + "/" + i.name, default: 0] += i.rxPps * dt }
            }
            let devices = ["steer-server/eth1", "steer-server/vxlan.calico"]
                + (1...2).map { "steer-server/" + lab.serverPod($0).cali } + (1...2).map { lab.serverPod($0).netns + "/eth0" }
            for d in devices {
                let rx = try #require(counted[d], "\(d) not sampled: \(counted.keys.sorted())")
                let tr = traced[d] ?? 0
                #expect(rx > 1000, "\(d): 4 s of iperf3 pass more than 1000 packets (\(rx))")
                #expect(abs(tr - rx) <= 0.03 * rx, "\(d): traced \(Int(tr)) packets, rx_packets \(Int(rx))")
            }

            // Flows: iperf3's streams in the server pods, segments ≈ payload / MSS, locality in
            // [0, 1], named by the stream the throughput panel shows.
            var named: Set<String> = []
            for k in 1...2 {
                let pod = lab.serverPod(k)
                var segments = 0.0, bytes = 0.0
                previous = 0
                for s in samples {
                    let dt = s.t - previous
                    previous = s.t
                    for f in s.flows where f.netns == pod.netns && f.reader == "iperf3" && f.local.hasSuffix(":\(Lab.iperfPort)") {
                        segments += f.totalSegments * dt
                        bytes += f.bps / 8 * dt
                        if let l = f.locality { #expect(l >= 0 && l <= 1) }
                        #expect(f.readerCPU != nil)
                        if let id = f.stream {
                            #expect(s.streams.contains { $0.id == id }, "\(id) is not among \(s.streams.map(\.id))")
                            named.insert(id)
                        }
                    }
                }
                let mtu = Double(try catInNetns(pod.netns, "/sys/class/net/eth0/mtu")) ?? 1500
                let ratio = segments / max(1, bytes / (mtu - 52))
                #expect(ratio > 0.5 && ratio < 2, "\(pod.netns): \(Int(segments)) segments for \(Int(bytes)) bytes")
            }
            #expect(samples.contains { $0.meanLocality != nil })
            #expect(named.count == 2, "each server pod's iperf3 flow carries its stream's name: \(named.sorted())")

            // The statistics: one stretch of baseline with a locality.
            let stats = try steertop(["stats", "--warmup", "0", "--format", "csv", path], state: lab.state)
            #expect(stats.status == 0, "\(stats.stderr)")
            let row = stats.stdout.split(separator: "\n").dropFirst().first.map(String.init) ?? ""
            let cells = row.split(separator: ",", omittingEmptySubsequences: false)
            let locality = cells.count >= 2 ? Double(cells[cells.count - 2]) : nil
            #expect(locality.map { $0 >= 0 && $0 <= 1 } == true, "stats' locality: \(row)")

            // --no-trace: the samples say why there are no stages.
            let plain = work.file("plain.jsonl")
            let r = try steertop(["record", "--no-trace", "--duration", "1.5", "--out", plain], state: lab.state)
            #expect(r.status == 0, "\(r.stderr)")
            let off = try RecordingReader.read(plain).records.compactMap { r -> SteerKit.Sample? in if case .sample(let s) = r { return s } else { return nil } }
            #expect(!off.isEmpty && off.allSatisfy { $0.traceOff == "tracing off (--no-trace)" && $0.stages.isEmpty })

            // The replay shows both panels, and ? explains their columns.
            let replay = try TmuxPane(width: 110, height: 45, command: [steertopBinary, "replay", path, "--speed", "2"],
                                      environment: ["TERM=xterm-256color", "LANG=C.UTF-8"], directory: work.path)
            #expect(replay.waitFor("Stages", seconds: 15), "\(replay.text)")
            #expect(replay.waitFor("─ Flows"), "\(replay.text)")
            #expect(replay.waitUntil(seconds: 20) { $0.contains("locality 0.") || $0.contains("locality 1.") }, "\(replay.text)")
            #expect(replay.text.contains("vxlan.calico"))
            replay.send("?")
            #expect(replay.waitFor("share of segments on the reader's CPU"), "\(replay.text)")
            replay.send("q")
        }

        /// With rps on the node, the session's samples show the tunnel's and the pods'
        /// stages on more than one CPU.
        @Test func rpsSpreadsTheStagesInTheSessionsSamples() throws {
            let lab = try LabFixture(pods: 4)
            defer { _ = try? steertop(["apply", "baseline"], state: lab.state) }
            let a = try steertop(["apply", "rps"], state: lab.state)
            #expect(a.status == 0, "\(a.stderr)")
            let session = try Session(targets: Lab.watchTargets, steering: SteeringConfig(), trace: true)
            defer { session.stopTracing() }
            #expect(session.traceOff == nil, "\(session.traceOff ?? "")")
            var vxlan = [Double](repeating: 0, count: LibC.configuredCPUs())
            var pods = vxlan
            func spread(_ v: [Double]) -> Int { v.filter { $0 > 0 }.count }
            // RPS hashes each flow to a CPU: 4 flows may land on one (1 in 8); new source
            // ports hash anew each round.
            var rounds = 0
            while rounds < 6 && (spread(vxlan) < 2 || spread(pods) < 2) {
                rounds += 1
                _ = session.next()
                let t = try steertop(["lab", "traffic", "--replicas", "4", "--duration", "1"], state: lab.state)
                #expect(t.status == 0, "\(t.stderr)")
                let s = session.next().sample
                for st in s.stages where st.netns == "steer-server" && st.device == "vxlan.calico" {
                    for (c, v) in st.pps.enumerated() where c < vxlan.count { vxlan[c] += v }
                }
                for st in s.stages where st.netns.hasPrefix("steer-server-pod") && st.device == "eth0" {
                    for (c, v) in st.pps.enumerated() where c < pods.count { pods[c] += v }
                }
                for f in s.flows { if let l = f.locality { #expect(l >= 0 && l <= 1) } }
            }
            #expect(spread(vxlan) >= 2, "vxlan.calico's packets per CPU with rps: \(vxlan)")
            #expect(spread(pods) >= 2, "the pods' eth0 packets per CPU with rps: \(pods)")
        }

        /// The session's locality follows the mode: readers pinned to CPU 1, senders to
        /// CPU 0; rfs steers TCP processing to the readers' CPU, baseline does not.
        @Test(.enabled(if: LibC.configuredCPUs() >= 2, "needs two CPUs"))
        func sessionLocalityChangesWithTheMode() throws {
            let lab = try LabFixture(pods: 2)
            defer { _ = try? steertop(["apply", "baseline"], state: lab.state) }
            try pinServers(lab, cpu: 1)
            let session = try Session(targets: Lab.watchTargets, steering: SteeringConfig(), trace: true)
            defer { session.stopTracing() }
            var mean: [Mode: Double] = [:]
            for mode in [Mode.baseline, .rfs] {
                let a = try steertop(["apply", mode.rawValue], state: lab.state)
                #expect(a.status == 0, "\(a.stderr)")
                _ = session.next()
                try pinnedTraffic(pods: 2, cpu: 0, seconds: 2)
                var s = session.next().sample
                s.flows = s.flows.filter { $0.reader == "iperf3" && $0.bps > 1e6 }
                #expect(s.flows.count == 2, "\(mode): \(s.flows.count) iperf3 streams")
                mean[mode] = s.meanLocality
            }
            let base = try #require(mean[.baseline]), rfs = try #require(mean[.rfs])
            #expect(base >= 0 && base <= 1 && rfs >= 0 && rfs <= 1)
            #expect(rfs > 0.9, "rfs: locality \(rfs)")
            #expect(rfs - base > 0.2, "locality did not change with the mode: baseline \(base), rfs \(rfs)")
        }

        /// Not root: the recorder records all the rest, each sample saying in one line why
        /// there are no stages and flows; stderr says it once.
        @Test func notRootRecordsWithoutTracingAndSaysWhy() throws {
            let work = TemporaryDirectory()
            #expect(chmod(work.path, 0o777) == 0)
            let state = TestState()
            let path = work.file("nobody.jsonl")
            let r = try Command.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", steertopBinary,
                                     "record", "--host", "--duration", "1.5", "--out", path],
                                    timeout: 30, environment: state.environment)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.contains("steertop: tracing unavailable: kernel tracing needs root"), "\(r.stderr)")
            let samples = try RecordingReader.read(path).records.compactMap { r -> SteerKit.Sample? in
                if case .sample(let s) = r { return s } else { return nil }
            }
            #expect(!samples.isEmpty && samples.allSatisfy { !$0.cpus.isEmpty && $0.stages.isEmpty })
            #expect(samples.allSatisfy { $0.traceOff?.hasPrefix("tracing unavailable: kernel tracing needs root") == true },
                    "\(samples.map(\.traceOff))")
        }
    }
}
