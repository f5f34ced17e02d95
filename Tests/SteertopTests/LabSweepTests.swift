import Testing
import SteerKit

#if canImport(Glibc)
import Glibc
#endif

extension LabTests {
    @Suite struct Sweep {
        func runs(_ path: String) throws -> [RunMark] {
            try RecordingReader.read(path).records.compactMap { r in if case .run(let m) = r { return m } else { return nil } }
        }

        @Test func twoModesTwoReplicaCountsTwoRuns() throws {
            let lab = try LabFixture(pods: 2)
            let out = lab.state.dir.file("sweep.jsonl")
            let sock = try catInNetns("", SteeringFile.sockFlowEntriesPath)
            let r = try steertop(["sweep", "--modes", "baseline,rfs", "--replicas", "1,2", "--runs", "2", "--duration", "3",
                                  "--settle", "0", "--out", out, "--seed", "7"], state: lab.state, timeout: 300)
            #expect(r.status == 0, "\(r.stderr)")
            let marks = try runs(out)
            #expect(marks.filter { $0.event == .start }.count == 8)
            #expect(marks.filter { $0.event == .end && $0.complete == true }.count == 8)
            // The modes are shuffled within each run, reproducibly.
            let plan = SweepPlan(modes: [.baseline, .rfs], replicas: [1, 2], runs: 2, duration: 3, settle: 0, seed: 7)
            #expect(marks.filter { $0.event == .start }.map { "\($0.replicas)/\($0.run)/\($0.mode)" }
                    == plan.steps.map { "\($0.replicas)/\($0.run)/\($0.mode.rawValue)" })
            // Every run has its streams' receiver figures, and its samples are the ticks
            // while the clients sent: none of them idle.
            let contents = try RecordingReader.read(out)
            // (iperf3 reports a stream's first second a few ms after it, so a run's first
            // tick may not show the stream yet; its CPU figures are the run's all the same.)
            var inRun = false
            var runSamples = 0, tickInRun = 0
            for record in contents.records {
                switch record {
                case .run(let m):
                    inRun = m.event == .start
                    tickInRun = 0
                case .sample(let s) where inRun:
                    runSamples += 1
                    tickInRun += 1
                    let idle = s.cpus.map(\.idle).reduce(0, +) / Double(max(s.cpus.count, 1))
                    #expect(idle < 90, "a run's sample at t=\(s.t) is idle (\(idle)%): after the clients?")
                    if tickInRun > 1 {
                        #expect(s.streams.contains { $0.state == nil }, "a run's sample at t=\(s.t) has no stream")
                    }
                default: break
                }
            }
            #expect(runSamples >= 8 * 2)
            let ends = contents.records.filter { if case .streamEnd = $0 { return true } else { return false } }
            #expect(ends.count == 2 * (1 + 2) * 2)
            // The stats of the file have every group, with an interval and a normalization.
            let report = try StatsReport.load([out])
            for replicas in [1, 2] {
                for mode in ["baseline", "rfs"] {
                    let g = try #require(report.groups.first { $0.replicas == replicas && $0.mode == mode }, "\(replicas) \(mode)")
                    #expect(g.runs == 2)
                    #expect((g.bitrate?.mean ?? 0) > 1e8)
                    #expect(g.bitrate?.ci != nil)
                    #expect(g.normalized != nil)
                    #expect(g.cores.count == LibC.configuredCPUs())
                }
            }
            #expect(r.stdout.contains("baseline") && r.stdout.contains("rfs"), "the sweep ends with the stats")
            // The steering files are put back as they were.
            #expect(try catInNetns("", SteeringFile.sockFlowEntriesPath) == sock)
            #expect(try catInNetns("steer-server", "/sys/class/net/eth1/queues/rx-0/rps_flow_cnt") == "0")
        }

        @Test func interruptedThenResumed() throws {
            let lab = try LabFixture(pods: 1)
            let out = lab.state.dir.file("sweep.jsonl")
            // The files before the sweep: rps+ (not what the sweep's modes leave).
            #expect(try steertop(["apply", "rps+", "--quiet"], state: lab.state).status == 0)
            let before = try catInNetns("steer-server-pod1", "/sys/class/net/eth0/queues/rx-0/rps_cpus")
            let args = ["sweep", "--modes", "baseline,rps", "--replicas", "1", "--runs", "2", "--duration", "3", "--settle", "0",
                        "--out", out]
            let pid = try #require(try? LibC.spawn([steertopBinary] + args, environment: lab.state.environment).get())
            defer { Processes.terminate([pid]) }
            // Once the first run has started, ^C: the run is finished and recorded, then it stops.
            let deadline = LibC.monotonic() + 30
            while LibC.monotonic() < deadline, ((try? runs(out)) ?? []).isEmpty { LibC.sleep(0.2) }
            LibC.kill(pid, SIGINT)
            #expect(Processes.waitForExit([pid], seconds: 30))
            let first = try runs(out)
            #expect(first.filter { $0.event == .end && $0.complete == true }.count == 1, "\(first)")
            #expect(first.filter { $0.event == .start }.count == 1)

            // --resume does the other three, and only those.
            let r = try steertop(args + ["--resume"], state: lab.state, timeout: 120)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.contains("1 of 4 runs already complete"))
            let all = try runs(out).filter { $0.event == .end && $0.complete == true }
            #expect(all.count == 4)
            #expect(Set(all.map { "\($0.run)/\($0.mode)" }).count == 4)
            let contents = try RecordingReader.read(out)
            #expect(contents.problems.isEmpty)
            // Resumed records continue the clock of the first part.
            let ts = contents.records.compactMap(\.t)
            #expect(zip(ts, ts.dropFirst()).allSatisfy { $0 <= $1 + 0.01 })
            // Both parts put back the files as they were before the sweep began.
            #expect(try catInNetns("steer-server-pod1", "/sys/class/net/eth0/queues/rx-0/rps_cpus") == before)
            let status = try steertop(["status", "--json"], state: lab.state)
            #expect(try JSONValue.parse(status.stdout)["mode"]?.string == "rps+")
        }
    }
}
