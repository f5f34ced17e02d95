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
            // Every run has its streams' receiver figures.
            let contents = try RecordingReader.read(out)
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
        }
    }
}
