#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import SteerKit

// MARK: - helpers

/// A directory made for one test and removed after it, whether the test passed or not.
fileprivate func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    var template = Array("/tmp/steertop-stats-test-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { throw SteerError.invalid("mkdtemp failed") }
    let dir = String(cString: made)
    defer { removeTree(dir) }
    return try body(dir)
}

fileprivate func removeTree(_ path: String) {
    if case .success(let names) = LibC.listDirectory(path) {
        for name in names {
            let child = path + "/" + name
            if case .success(let st) = LibC.stat(child), st.isDirectory { removeTree(child) } else { _ = LibC.unlink(child) }
        }
    }
    rmdir(path)
}

/// Writes `lines` (each without its newline) to `dir/name`; `end` follows the last line.
@discardableResult
fileprivate func writeRecording(_ dir: String, _ name: String, _ lines: [String], end: String = "\n") throws -> String {
    let path = dir + "/" + name
    let text = lines.isEmpty ? "" : lines.joined(separator: "\n") + end
    if case .failure(let e) = LibC.writeFileAtomically(path, text) { throw SteerError.create(path: path, errno: e) }
    return path
}

fileprivate func headerLine(cpus: Int = 2, interval: Double = 1) -> String {
    line(.header(RecordingHeader(
        started: "2025-01-01T00:00:00Z", host: "node-b", kernel: "6.8.0", cpus: cpus, intervalSeconds: interval,
        toolVersion: "test", argv: ["steertop", "sweep"],
        targets: RecordingTargets(node: "", ifaces: ["eth1"], netns: [], podIfaces: []))))
}

fileprivate func line(_ r: Record) -> String {
    var s = RecordCodec.line(r)
    s.removeLast()  // the newline
    return s
}

fileprivate func sampleLine(t: Double, mode: ObservedMode, idle: [Double], soft: [Double], streams: [String] = [], total: Double? = nil) -> String {
    let cpus = idle.indices.map { CPUUsage(cpu: $0, usr: 1, nice: 0, sys: 2, iowait: 0, irq: 0, soft: soft[$0], steal: 0, guest: 0, gnice: 0, idle: idle[$0]) }
    let s = Sample(t: t, mode: mode, cpus: cpus, netRX: idle.map { _ in 100 }, netTX: idle.map { _ in 10 },
                   softnet: idle.indices.map { SoftnetRates(cpu: $0) },
                   ifaces: [InterfaceSample(name: "eth1", netns: "", rxBps: 1e9, queues: [QueueState(queue: 0, rpsCPUs: "3", rpsFlowCount: 0)])],
                   sockFlowEntries: 0, streams: streams.map { StreamRate(id: $0, bps: 1e6) }, totalBps: total)
    return line(.sample(s))
}

/// One run of a sweep: start, three samples, a stream_end per stream, end.
fileprivate func runLines(run: Int, mode: ObservedMode, replicas: Int, t: inout Double, streamBps: [Double], idle: [Double] = [90, 80],
              soft: [Double] = [1, 5], complete: Bool? = true) -> [String] {
    var out = [line(.run(RunMark(t: t, event: .start, run: run, mode: mode, replicas: replicas)))]
    for _ in 0..<3 {
        t += 1
        out.append(sampleLine(t: t, mode: mode, idle: idle, soft: soft, streams: streamBps.indices.map { "s\($0)" },
                              total: streamBps.reduce(0, +)))
    }
    for (k, bps) in streamBps.enumerated() {
        out.append(line(.streamEnd(StreamEnd(t: t, id: "s\(k)", bps: bps, bytes: bps * 3 / 8, seconds: 3))))
    }
    out.append(line(.run(RunMark(t: t, event: .end, run: run, mode: mode, replicas: replicas, complete: complete))))
    t += 2
    return out
}

/// The worked check's runs: baseline 100, 110, 90 Mbit/s and rps 120, 125, 115 (each the
/// mean of two streams 5 Mbit/s either side).
fileprivate func workedCheckLines(replicas: Int = 2, baseline: [Double] = [100, 110, 90], rps: [Double] = [120, 125, 115],
                      cpus: Int = 2) -> [String] {
    var lines = [headerLine(cpus: cpus)]
    var t = 0.0
    var run = 0
    for (mode, values) in [(ObservedMode.mode(.baseline), baseline), (.mode(.rps), rps)] {
        for v in values {
            run += 1
            lines += runLines(run: run, mode: mode, replicas: replicas, t: &t, streamBps: [(v - 5) * 1e6, (v + 5) * 1e6],
                              idle: Array(repeating: 90, count: cpus), soft: Array(repeating: 2, count: cpus))
        }
    }
    return lines
}

fileprivate func groupJSON(_ report: StatsReport) throws -> [JSONValue] {
    let doc = try JSONValue.parse(report.json())
    return try #require(doc["groups"]?.array)
}

fileprivate func near(_ a: Double?, _ b: Double, _ tolerance: Double = 1e-9) -> Bool {
    guard let a else { return false }
    return abs(a - b) <= tolerance * max(1, abs(b))
}

fileprivate let t975_2 = 4.302652729749464
fileprivate let t975_1 = 12.706204736174707

// MARK: - Student's t

@Suite("Statistics: Student's t")
struct StatsStudentTTests {
    @Test("exact 0.975 quantiles", arguments: [(1.0, 12.7062), (2, 4.3027), (19, 2.0930), (100, 1.9840)])
    func quantiles(df: Double, expected: Double) {
        let q = StudentT.quantile(0.975, degreesOfFreedom: df)
        #expect(abs(q - expected) < 5e-5, "t(0.975, \(df)) = \(q)")
    }

    @Test func quantilesToManyDigits() {
        #expect(abs(StudentT.quantile(0.975, degreesOfFreedom: 1) - t975_1) < 1e-10)
        #expect(abs(StudentT.quantile(0.975, degreesOfFreedom: 2) - t975_2) < 1e-10)
        #expect(abs(StudentT.quantile(0.975, degreesOfFreedom: 19) - 2.093024054408263) < 1e-10)
        #expect(abs(StudentT.quantile(0.995, degreesOfFreedom: 5) - 4.032142983557536) < 1e-9)
        #expect(abs(StudentT.quantile(0.025, degreesOfFreedom: 19) + 2.093024054408263) < 1e-10)
        #expect(StudentT.quantile(0.5, degreesOfFreedom: 7) == 0)
        #expect(StudentT.quantile(1, degreesOfFreedom: 7).isNaN)
        #expect(StudentT.quantile(0.9, degreesOfFreedom: 0).isNaN)
        // Large df approaches the normal quantile.
        #expect(abs(StudentT.quantile(0.975, degreesOfFreedom: 1e6) - 1.959966) < 1e-5)
    }

    @Test func cdfAndIncompleteBeta() {
        #expect(abs(StudentT.regularizedIncompleteBeta(0.5, a: 2, b: 3) - 0.6875) < 1e-14)
        #expect(abs(StudentT.regularizedIncompleteBeta(0.2, a: 1, b: 1) - 0.2) < 1e-14)
        #expect(StudentT.regularizedIncompleteBeta(0, a: 2, b: 3) == 0)
        #expect(StudentT.regularizedIncompleteBeta(1, a: 2, b: 3) == 1)
        // df = 1 is the Cauchy distribution: F(t) = 1/2 + atan(t)/π.
        for t in [-3.0, -0.5, 0, 0.7, 12.7] {
            #expect(abs(StudentT.cdf(t, degreesOfFreedom: 1) - (0.5 + atan(t) / Double.pi)) < 1e-13)
        }
        #expect(abs(StudentT.cdf(2.093024054408263, degreesOfFreedom: 19) - 0.975) < 1e-12)
    }

    @Test func estimate() throws {
        let e = try #require(Estimate([100, 110, 90]))
        #expect(e.mean == 100)
        #expect(near(e.ci, t975_2 * 10 / 3.0.squareRoot()))
        #expect(Estimate([]) == nil)
        let one = try #require(Estimate([7]))
        #expect(one.mean == 7 && one.ci == nil && one.count == 1)
    }
}

// MARK: - runs and groups

@Suite("Statistics: runs, groups, output")
struct StatsCoreTests {
    @Test("worked check: rps 1.200 ± 0.124, baseline 1.000 ± 0.248")
    func workedCheck() throws {
        try withTemporaryDirectory { dir in
            let path = try writeRecording(dir, "sweep.jsonl", workedCheckLines())
            let report = try StatsReport.load([path])
            let groups = try groupJSON(report)
            #expect(groups.count == 2)
            let base = groups[0], rps = groups[1]
            #expect(base["mode"]?.string == "baseline" && base["replicas"]?.int == 2 && base["runs"]?.int == 3)
            #expect(rps["mode"]?.string == "rps" && rps["runs"]?.int == 3)
            #expect(near(base["bitrate_bps"]?["mean"]?.double, 100e6))
            #expect(near(base["bitrate_bps"]?["ci"]?.double, t975_2 * 10e6 / 3.0.squareRoot()))
            #expect(near(base["normalized"]?["mean"]?.double, 1))
            #expect(near(base["normalized"]?["ci"]?.double, t975_2 * 10 / 3.0.squareRoot() / 100))
            #expect(near(rps["bitrate_bps"]?["mean"]?.double, 120e6))
            #expect(near(rps["normalized"]?["mean"]?.double, 1.2))
            #expect(near(rps["normalized"]?["ci"]?.double, t975_2 * 5 / 3.0.squareRoot() / 100))
            // Rounded as the paper prints them.
            #expect(StatsReport.fixed(try #require(rps["normalized"]?["ci"]?.double), 3) == "0.124")
            #expect(StatsReport.fixed(try #require(base["normalized"]?["ci"]?.double), 3) == "0.248")
            // Cores: two CPUs, constant 90 %idle and 2 %soft.
            let cores = try #require(rps["cores"]?.array)
            #expect(cores.count == 2)
            #expect(cores[1]["cpu"]?.int == 1 && near(cores[1]["idle"]?["mean"]?.double, 90) && near(cores[1]["soft"]?["mean"]?.double, 2))
            #expect(cores[0]["cpus"] == nil)
            #expect(report.notes.isEmpty, "\(report.notes)")

            let table = report.render(.table)
            #expect(table.contains("1.000 ± 0.248"))
            #expect(table.contains("1.200 ± 0.124"))
            #expect(table.contains("100.0 ± 24.8"))
            #expect(table.contains("█"))
            let ascii = report.render(.table, ascii: true)
            #expect(ascii.contains("1.200 +- 0.124"))
            #expect(ascii.utf8.allSatisfy { $0 < 0x80 })
            #expect(ascii.contains("#") && ascii.contains("|"))
            let md = report.render(.markdown)
            #expect(md.contains("| 2 | 1.000 ± 0.248 | 1.200 ± 0.124 |"))
            let csv = report.render(.csv).split(separator: "\n")
            #expect(csv[0] == "replicas,mode,runs,bitrate_bps_mean,bitrate_bps_ci,normalized_mean,normalized_ci,cpus,cpu,idle_mean,idle_ci,soft_mean,soft_ci,locality_mean,locality_ci")
            #expect(csv.count == 1 + 2 * 2)
            // Rounded to what the inputs carry (bits/s whole, percentages to 2 decimals), +2 digits.
            #expect(csv[3] == "2,rps,3,120000000,12420688.56,1.2,0.124207,2,0,90,0,2,0,,")
        }
    }

    @Test("json has exactly the documented shape")
    func jsonShape() throws {
        try withTemporaryDirectory { dir in
            let path = try writeRecording(dir, "a.jsonl", workedCheckLines(rps: [120]))
            let text = try StatsReport.load([path]).json()
            #expect(text.hasPrefix("{\"groups\":[{\"replicas\":2,\"mode\":\"baseline\",\"runs\":3,\"bitrate_bps\":{\"mean\":100000000,\"ci\":"))
            #expect(text.contains("{\"replicas\":2,\"mode\":\"rps\",\"runs\":1,\"bitrate_bps\":{\"mean\":120000000,\"ci\":null},\"normalized\":{\"mean\":1.2,\"ci\":null},\"locality\":null,\"cores\":[{\"cpu\":0,\"idle\":{\"mean\":90,\"ci\":null},\"soft\":{\"mean\":2,\"ci\":null}}"))
            #expect(text.hasSuffix("]}]}\n"))
        }
    }

    @Test("runs cut short, never ended or unmatched are left out; stream_end after the end counts")
    func runBounds() throws {
        try withTemporaryDirectory { dir in
            var lines = [headerLine()]
            var t = 0.0
            lines += runLines(run: 1, mode: "baseline", replicas: 1, t: &t, streamBps: [100e6])
            lines += runLines(run: 2, mode: "baseline", replicas: 1, t: &t, streamBps: [999e6], complete: false)
            // Run 3: its stream_end is written after its end record, 1 s later.
            var run3 = runLines(run: 3, mode: "baseline", replicas: 1, t: &t, streamBps: [110e6])
            let late = run3.remove(at: run3.count - 2)
            lines += run3
            lines.append(late.replacingTime(with: t - 1))
            // A run that starts, is replaced by another start (crash, resume), which ends.
            lines.append(line(.run(RunMark(t: t, event: .start, run: 4, mode: "baseline", replicas: 1))))
            t += 1
            lines += runLines(run: 4, mode: "baseline", replicas: 1, t: &t, streamBps: [90e6])
            lines.append(line(.run(RunMark(t: t, event: .end, run: 77, mode: "baseline", replicas: 1))))
            // Never ends.
            lines.append(line(.run(RunMark(t: t + 1, event: .start, run: 5, mode: "baseline", replicas: 1))))
            lines.append(sampleLine(t: t + 2, mode: "baseline", idle: [0, 0], soft: [50, 50], total: 5e9))
            let path = try writeRecording(dir, "runs.jsonl", lines)
            let runs = try RunExtractor.recordings(in: path)[0]
            #expect(runs.usedRunRecords)
            #expect(runs.runs.map(\.bitrate) == [100e6, 110e6, 90e6])
            #expect(runs.runs.allSatisfy { $0.streamEnds == 1 && $0.samples == 3 })
            #expect(runs.incompleteRuns == 1 && runs.unendedRuns == 2 && runs.strayEnds == 1)
            let report = StatsReport([runs])
            #expect(report.groups.count == 1)
            #expect(near(report.groups[0].bitrate?.mean, 100e6))
            #expect(report.notes.contains { $0.contains("1 run cut short (complete=false) left out") })
            #expect(report.notes.contains { $0.contains("2 runs without an end left out") })
            #expect(report.notes.contains { $0.contains("1 run end without a matching start ignored") })
        }
    }

    @Test("without stream_end records the bitrate is mean total_bps over replicas")
    func totalFallback() throws {
        try withTemporaryDirectory { dir in
            var lines = [headerLine()]
            for (run, totals) in [[400e6, 500e6, 600e6], [300e6, 300e6, 300e6]].enumerated() {
                let t0 = Double(run) * 10
                lines.append(line(.run(RunMark(t: t0, event: .start, run: run + 1, mode: "rfs", replicas: 4))))
                for (k, total) in totals.enumerated() {
                    lines.append(sampleLine(t: t0 + Double(k + 1), mode: "rfs", idle: [50, 60], soft: [10, 20], total: total))
                }
                lines.append(line(.run(RunMark(t: t0 + 3, event: .end, run: run + 1, mode: "rfs", replicas: 4))))
            }
            let report = try StatsReport.load([try writeRecording(dir, "x.jsonl", lines)])
            let g = try #require(report.group(replicas: 4, mode: "rfs"))
            // Runs: 500/4 = 125 and 300/4 = 75 Mbit/s per stream.
            #expect(near(g.bitrate?.mean, 100e6))
            #expect(near(g.bitrate?.ci, t975_1 * 25e6))
            #expect(g.normalized == nil)
            #expect(report.notes.contains("no baseline runs: no normalized bitrate; absolute bitrates shown"))
            // No baseline: the table shows absolute figures and charts them.
            let table = report.render(.table)
            #expect(!table.contains("Normalized"))
            #expect(table.contains("100.0 ± 317.7"))
            #expect(table.contains("no baseline"))
            let groups = try groupJSON(report)
            #expect(groups[0]["normalized"]?.isNull == true)
        }
    }

    @Test("stretches of one mode without run records, with the warm-up skipped")
    func stretches() throws {
        try withTemporaryDirectory { dir in
            var lines = [headerLine()]
            // baseline from the start: the stretch starts one interval before t = 1, at 0;
            // with a 5 s warm-up the samples at 6, 7, 8 are kept.
            for t in 1...8 {
                let kept = t >= 6
                lines.append(sampleLine(t: Double(t), mode: "baseline", idle: [kept ? Double(t) * 10 : 0, 90], soft: [kept ? Double(t) : 99, 1],
                                        streams: kept ? ["a", "b"] : ["a", "b", "warm-up-only"], total: kept ? Double(t) * 1e6 : 1e12))
            }
            // A mode record at 8.5: rps from 8.5, kept from 13.5 on: samples 15 and 16.
            lines.append(line(.mode(ModeChange(t: 8.5, from: "baseline", to: "rps", ok: true, writes: [], errors: []))))
            for t in 9...16 {
                lines.append(sampleLine(t: Double(t), mode: "rps", idle: [t >= 15 ? 40 : 0, 80], soft: [t >= 15 ? 30 : 99, 2],
                                        streams: ["a", "b"], total: t >= 15 ? 10e6 : 1e12))
            }
            // Custom mode: no stretch. Then rps again (changed behind our back, no mode
            // record): starts at 18, kept from 23 on: 24, 25, 26.
            lines.append(sampleLine(t: 17, mode: "custom", idle: [0, 0], soft: [0, 0], streams: ["a", "b"], total: 1e12))
            lines.append(sampleLine(t: 18, mode: "custom", idle: [0, 0], soft: [0, 0], streams: ["a", "b"], total: 1e12))
            for t in 19...26 {
                lines.append(sampleLine(t: Double(t), mode: "rps", idle: [t >= 24 ? 60 : 0, 80], soft: [t >= 24 ? 20 : 99, 4],
                                        streams: ["a", "b"], total: t >= 24 ? 14e6 : 1e12))
            }
            // Too short: a mode record at 26.5 and baseline samples up to 30.
            lines.append(line(.mode(ModeChange(t: 26.5, from: "rps", to: "baseline", ok: true, writes: [], errors: []))))
            for t in 27...30 { lines.append(sampleLine(t: Double(t), mode: "baseline", idle: [0, 0], soft: [0, 0], streams: ["a", "b"], total: 1e12)) }
            // rfs without any stream: replicas 0, no bitrate.
            lines.append(line(.mode(ModeChange(t: 30.5, from: "baseline", to: "rfs", ok: true, writes: [], errors: []))))
            for t in 31...40 { lines.append(sampleLine(t: Double(t), mode: "rfs", idle: [70, 70], soft: [3, 3])) }
            // A stream_end in an interactive recording is not used (it covers the stream's whole life).
            lines.append(line(.streamEnd(StreamEnd(t: 40, id: "a", bps: 1e12, bytes: 1, seconds: 40))))

            let path = try writeRecording(dir, "live.jsonl", lines)
            let runs = try RunExtractor.recordings(in: path)[0]
            #expect(!runs.usedRunRecords)
            #expect(runs.runs.map(\.mode) == ["baseline", "rps", "rps", "rfs"])
            #expect(runs.runs.map(\.samples) == [3, 2, 3, 4])
            #expect(runs.runs.map(\.replicas) == [2, 2, 2, 0])
            #expect(runs.runs.map(\.start) == [0, 8.5, 18, 30.5])
            #expect(runs.shortStretches == 1 && runs.otherModeSamples == 2)

            let report = StatsReport([runs])
            let base = try #require(report.group(replicas: 2, mode: "baseline"))
            #expect(near(base.bitrate?.mean, 3.5e6))  // mean(6, 7, 8) Mbit/s over 2 streams
            #expect(near(base.cores[0].idle?.mean, 70) && near(base.cores[0].soft?.mean, 7))
            #expect(base.bitrate?.ci == nil)
            let rps = try #require(report.group(replicas: 2, mode: "rps"))
            #expect(rps.runs == 2)
            #expect(near(rps.bitrate?.mean, 6e6))  // runs: 5 and 7 Mbit/s per stream
            #expect(near(rps.normalized?.mean, 6 / 3.5))
            #expect(near(rps.bitrate?.ci, t975_1 * (2.0.squareRoot() * 1e6) / 2.0.squareRoot()))
            #expect(near(rps.cores[0].idle?.mean, 50) && near(rps.cores[0].soft?.mean, 25) && near(rps.cores[1].soft?.mean, 3))
            let rfs = try #require(report.group(replicas: 0, mode: "rfs"))
            #expect(rfs.bitrate == nil && rfs.runs == 1 && near(rfs.cores[1].idle?.mean, 70))
            #expect(report.notes.contains { $0.contains("has no run records: each stretch of one mode is a run, its first 5 s skipped") })
            #expect(report.notes.contains { $0.contains("1 stretch saw no iperf3 stream: grouped under replicas 0") })
            #expect(report.notes.contains { $0.contains("1 stretch no longer than the 5 s warm-up left out") })
            #expect(report.notes.contains { $0.contains("2 samples of other modes") })
            #expect(report.notes.contains("baseline with 2 replicas has only 1 run: no confidence interval"))

            // Another warm-up moves the cut: with 0 s every sample counts.
            let all = try RunExtractor.recordings(in: path, options: StatsOptions(warmup: 0))[0]
            #expect(all.runs.map(\.samples) == [8, 7, 8, 3, 9])
        }
    }

    @Test("several files are pooled; CPU counts are kept apart per core")
    func mergedFiles() throws {
        try withTemporaryDirectory { dir in
            let a = try writeRecording(dir, "a.jsonl", workedCheckLines(baseline: [100, 110], rps: [120]))
            let b = try writeRecording(dir, "b.jsonl", workedCheckLines(baseline: [90], rps: [125, 115]))
            let merged = try StatsReport.load([a, b])
            let single = try StatsReport.load([try writeRecording(dir, "c.jsonl", workedCheckLines())])
            #expect(merged.groups == single.groups)
            #expect(merged.notes.isEmpty)

            // A file named twice is read once.
            let twice = try StatsReport.load([a, b, dir + "/./a.jsonl"])
            #expect(twice.groups == single.groups)
            #expect(twice.notes == ["\(dir)/./a.jsonl is the same file as \(a): read once"])

            // A machine with 4 CPUs: bitrates pooled, cores apart.
            let d = try writeRecording(dir, "d.jsonl", workedCheckLines(baseline: [100], rps: [], cpus: 4))
            let mixed = try StatsReport.load([a, b, d])
            #expect(mixed.cpuCounts == [2, 4])
            let base = try #require(mixed.group(replicas: 2, mode: "baseline"))
            #expect(base.runs == 4 && near(base.bitrate?.mean, 100e6))
            #expect(base.cores.map(\.cpus) == [2, 2, 4, 4, 4, 4])
            #expect(base.cores.map(\.cpu) == [0, 1, 0, 1, 2, 3])
            #expect(base.cores[0].idle?.count == 3 && base.cores[2].idle?.count == 1)
            #expect(mixed.notes.contains { $0.contains("different CPU counts (2, 4)") })
            let groups = try groupJSON(mixed)
            #expect(groups[0]["cores"]?[2]?["cpus"]?.int == 4)
            let table = mixed.render(.table)
            #expect(table.contains("%idle per core, 2 replicas (2 CPUs"))
            #expect(table.contains("%idle per core, 2 replicas (4 CPUs"))
        }
    }

    @Test("a missing baseline for some replicas and a group of one run are said")
    func missingBaselineAndSingleRun() throws {
        try withTemporaryDirectory { dir in
            var lines = workedCheckLines()
            var t = 1000.0
            lines += runLines(run: 50, mode: "rfs+", replicas: 16, t: &t, streamBps: [1e9, 2e9])
            let report = try StatsReport.load([try writeRecording(dir, "m.jsonl", lines)])
            #expect(report.notes.contains("no baseline runs with 16 replicas: no normalized bitrate for them; absolute bitrates shown"))
            #expect(report.notes.contains("rfs+ with 16 replicas has only 1 run: no confidence interval"))
            let g = try #require(report.group(replicas: 16, mode: "rfs+"))
            #expect(g.normalized == nil && g.bitrate?.ci == nil && near(g.bitrate?.mean, 1.5e9))
            let table = report.render(.table)
            #expect(table.contains(" 1.500\n"))  // Gbit/s, no interval
            #expect(table.contains("0.100 ± 0.025"))
            let groups = try groupJSON(report)
            #expect(groups.last?["normalized"]?.isNull == true)
            #expect(groups.last?["bitrate_bps"]?["ci"]?.isNull == true)
        }
    }

    @Test("malformed lines are skipped and named, a truncated last line is accepted")
    func malformedLines() throws {
        try withTemporaryDirectory { dir in
            var lines = workedCheckLines()
            lines.insert("{\"type\":\"sample\",\"t\":", at: 3)            // line 4
            lines.insert("not json at all", at: 6)                         // line 7
            lines.insert("{\"type\":\"run\",\"t\":1,\"event\":\"pause\"}", at: 9)  // line 10
            lines.insert("{\"t\":1}", at: 12)                              // line 13
            lines.insert("{\"type\":\"note\",\"t\":1,\"text\":\"x\"} trailing", at: 14)  // line 15
            lines.insert("{\"type\":\"future\",\"t\":1,\"what\":[1,2,{\"a\":null}]}", at: 16)  // unknown: fine
            let path = try writeRecording(dir, "bad.jsonl", lines + ["{\"type\":\"sample\",\"t\":99,\"cpu\":[{\"cpu\":0"], end: "")
            let runs = try RunExtractor.recordings(in: path)[0]
            #expect(runs.malformedLines == 5)
            #expect(runs.problems.map(\.line) == [4, 7, 10, 13, 15])
            #expect(runs.truncatedLastLine)
            let report = StatsReport([runs])
            // Results as without the bad lines.
            #expect(near(report.group(replicas: 2, mode: "rps")?.normalized?.mean, 1.2))
            #expect(report.notes[0].hasPrefix("\(path):4: "))
            #expect(report.notes[0].hasSuffix("; line skipped"))
            #expect(report.notes[1].hasPrefix("\(path):7: "))
            #expect(report.notes[2].hasPrefix("\(path):10: run event must be start or end"))
            // One line says what was skipped and why.
            #expect(report.notes[3] == "\(path): skipped 6 lines: 3 malformed JSON (first at line 4), "
                    + "1 run record with an event other than start or end (line 10), 1 line without a type (line 13), "
                    + "1 last line cut off (the recorder stopped mid-write?) (line 50)")
            #expect(report.notes.count == 4)
        }
    }

    @Test("an empty file, a file that is not a recording and a missing file are errors")
    func badFiles() throws {
        try withTemporaryDirectory { dir in
            let empty = try writeRecording(dir, "empty.jsonl", [])
            let text = try writeRecording(dir, "notes.txt", ["hello", "world"])
            let json = try writeRecording(dir, "other.json", ["{\"type\":\"header\",\"format\":\"pcap\"}"])
            let sampleFirst = try writeRecording(dir, "headless.jsonl", Array(workedCheckLines().dropFirst()))
            let good = try writeRecording(dir, "good.jsonl", workedCheckLines())
            let cases: [(String, String)] = [
                (empty, "\(empty) is empty: no recording in it"),
                (text, "\(text) is not a steertop recording: line 1 is not a steertop header (expected {)"),
                (json, "\(json) is not a steertop recording: line 1 is not a steertop header (header of another format (\"pcap\"))"),
                (sampleFirst, "\(sampleFirst) is not a steertop recording: its first line is not a header"),
                (dir + "/missing.jsonl", "cannot open \(dir)/missing.jsonl: no such file or directory"),
                (dir, "cannot read \(dir) as a recording: it is a directory, not a regular file; give the path of a recording"),
            ]
            for (path, message) in cases {
                do throws(SteerError) {
                    _ = try StatsReport.load([good, path])
                    Issue.record("\(path) was accepted")
                } catch {
                    #expect(error.description == message)
                }
            }
            let headerOnly = try writeRecording(dir, "h.jsonl", [headerLine()])
            do throws(SteerError) {
                _ = try StatsReport.load([headerOnly])
                Issue.record("a recording without runs was accepted")
            } catch {
                #expect(error.description.hasPrefix("no complete run in \(headerOnly)"))
            }
            do throws(SteerError) {
                _ = try StatsReport.load([])
                Issue.record("no files accepted")
            } catch {
                #expect(error.description == "no recording given: name one or more files")
            }
        }
    }

    @Test func keyOrderDoesNotMatter() throws {
        try withTemporaryDirectory { dir in
            let lines = [
                headerLine(),
                "{\"mode\":\"rps\",\"replicas\":1,\"run\":1,\"event\":\"start\",\"t\":0,\"type\":\"run\"}",
                "{\"total_bps\":5,\"cpu\":[{\"soft\":3,\"idle\":60,\"cpu\":1},{\"idle\":40,\"soft\":null}],\"mode\":\"rps\",\"t\":1,\"type\":\"sample\"}",
                "{\"seconds\":1,\"bps\":7e6,\"id\":\"x\",\"t\":1,\"type\":\"stream_end\"}",
                "{\"complete\":true,\"mode\":\"rps\",\"replicas\":1,\"run\":1,\"event\":\"end\",\"t\":1,\"type\":\"run\"}",
            ]
            let report = try StatsReport.load([try writeRecording(dir, "k.jsonl", lines)])
            let g = try #require(report.group(replicas: 1, mode: "rps"))
            #expect(g.bitrate?.mean == 7e6)
            // The second CPU has no number: it takes its position (1) too; its soft is null.
            #expect(g.cores.count == 1)
            #expect(g.cores[0].cpu == 1 && near(g.cores[0].idle?.mean, 50) && near(g.cores[0].soft?.mean, 3))
        }
    }

    @Test func fixedDecimals() {
        #expect(StatsReport.fixed(1.2, 3) == "1.200")
        #expect(StatsReport.fixed(0.12420688, 3) == "0.124")
        #expect(StatsReport.fixed(-0.0004, 3) == "0.000")
        #expect(StatsReport.fixed(-2.5, 1) == "-2.5")
        #expect(StatsReport.fixed(99.96, 1) == "100.0")
        #expect(StatsReport.fixed(7, 0) == "7")
        #expect(StatsReport.fixed(.nan, 2) == "nan")
    }
}

fileprivate extension String {
    /// This record line with its "t" set to `t` (the line is ours: "t" follows "type").
    func replacingTime(with t: Double) -> String {
        guard let r = try? RecordCodec.decode(self), case .streamEnd(var e) = r else { return self }
        e.t = t
        return line(.streamEnd(e))
    }
}

// MARK: - hostile text (issue 12, items 1 and 2)

@Suite("Statistics: text from recordings reaches no terminal raw")
struct StatsHostileTextTests {
    static let evil = "\u{1b}[2J\u{1b}]0;pwned\u{07}"

    fileprivate func report(baselineMode: String, otherMode: String) throws -> (StatsReport, String) {
        try withTemporaryDirectory { dir in
            var lines = [headerLine()]
            var t = 0.0
            var run = 0
            for (mode, values) in [(ObservedMode(name: baselineMode), [100.0, 110]), (ObservedMode(name: otherMode), [120.0, 125])] {
                for v in values {
                    run += 1
                    lines += runLines(run: run, mode: mode, replicas: 2, t: &t, streamBps: [v * 1e6])
                }
            }
            let path = try writeRecording(dir, "evil.jsonl", lines)
            return (try StatsReport.load([path]), path)
        }
    }

    @Test("an interval on fewer than 3 runs is marked, and a note says why it is wide")
    func fewRunsAreMarked() throws {
        let (report, _) = try report(baselineMode: "baseline", otherMode: "rps")
        for format in [StatsFormat.table, .markdown] {
            let text = report.render(format)
            #expect(text.contains(" *"), "\(format)")
            #expect(text.contains("* rests on fewer than 3 runs"), "\(format)")
        }
    }

    @Test("a mode of escape sequences is shown escaped in table, csv, markdown and json")
    func escapeSequencesAreEscaped() throws {
        let (report, _) = try report(baselineMode: "baseline", otherMode: Self.evil)
        for format in StatsFormat.allCases {
            let text = report.render(format)
            #expect(!text.utf8.contains(0x1b), "\(format)")
            #expect(!text.utf8.contains(0x07), "\(format)")
            if format != .json { #expect(text.contains("\\x1b[2J\\x1b]0;pwned\\x07"), "\(format)") }
        }
        // json keeps the text, escaped the JSON way, and reads back to the same mode.
        let groups = try JSONValue.parse(report.json())["groups"]?.array ?? []
        #expect(groups.contains { $0["mode"]?.string == Self.evil })
    }

    @Test("a C1 control (U+009B, CSI) and a bidi override are escaped too")
    func c1AndBidi() throws {
        let (report, _) = try report(baselineMode: "baseline", otherMode: "a\u{9b}31mb\u{202e}c")
        let table = report.render(.table)
        #expect(table.contains("a\\u009b31mb\\u202ec"))
        #expect(TerminalText.isHarmless(table, keepLineBreaks: true))
    }

    @Test("csv quotes a field with a comma or a quote (RFC 4180); markdown escapes |")
    func csvAndMarkdownQuoting() throws {
        let (report, _) = try report(baselineMode: "baseline", otherMode: "a,\"b\"|c")
        let csv = report.render(.csv).split(separator: "\n").map(String.init)
        let row = try #require(csv.first { $0.contains("a,") })
        #expect(row.hasPrefix("2,\"a,\"\"b\"\"|c\",2,"))
        // Every row has as many fields as the header once quoted fields are taken whole.
        for r in csv { #expect(csvFieldCount(r) == StatsReport.csvColumns.count, "\(r)") }
        let md = report.render(.markdown)
        #expect(md.contains("a,\"b\"\\|c"))
        // Each row of a table has as many cell borders (| not preceded by \\) as its header.
        var borders: Int?
        for l in md.split(separator: "\n", omittingEmptySubsequences: false) {
            guard l.hasPrefix("|") else { borders = nil; continue }
            let chars = Array(l)
            let n = chars.indices.filter { chars[$0] == "|" && ($0 == 0 || chars[$0 - 1] != "\\") }.count
            if let borders { #expect(n == borders, "\(l)") } else { borders = n }
        }
    }

    /// Fields of a CSV row, reading quoted fields per RFC 4180.
    func csvFieldCount(_ row: String) -> Int {
        var count = 1, quoted = false
        var chars = Array(row)[...]
        while let c = chars.first {
            chars = chars.dropFirst()
            if c == "\"" {
                if quoted, chars.first == "\"" { chars = chars.dropFirst() } else { quoted.toggle() }
            } else if c == ",", !quoted {
                count += 1
            }
        }
        return count
    }
}

// MARK: - locality (recordings made with tracing)

/// Runs whose samples carry flows: each run's locality is its flows' segment-weighted
/// share on the reader's CPU; a group's is the mean over its runs with a Student-t
/// interval, in every format; flows without a reader or segments do not count.
@Suite struct LocalityStatsTests {
    func tracedRun(run: Int, mode: ObservedMode, t: inout Double, locality: Double) -> [String] {
        var out = [line(.run(RunMark(t: t, event: .start, run: run, mode: mode, replicas: 1)))]
        for _ in 0..<3 {
            t += 1
            var s = Sample(t: t, mode: mode, cpus: [CPUUsage(cpu: 0, usr: 1, nice: 0, sys: 2, iowait: 0, irq: 0, soft: 1, steal: 0, guest: 0, gnice: 0, idle: 50)], streams: [StreamRate(id: "s0", bps: 1e9)],
                           totalBps: 1e9)
            s.flows = [
                // 3 segments in 4 on the reader's CPU, scaled so the mean is `locality`.
                FlowRate(netns: "p", local: "a:1", remote: "b:2", segments: [300, 100], bps: 1e9, readerCPU: 0,
                         reader: "iperf3", locality: locality),
                // The ACKs of the client side: no reader, no locality.
                FlowRate(netns: "c", local: "b:2", remote: "a:1", segments: [50, 0], bps: 0),
            ]
            out.append(line(.sample(s)))
        }
        out.append(line(.run(RunMark(t: t, event: .end, run: run, mode: mode, replicas: 1, complete: true))))
        t += 2
        return out
    }

    @Test func meanLocalityPerGroupInEveryFormat() throws {
        try withTemporaryDirectory { dir in
            var t = 0.0
            var lines = [headerLine(cpus: 2)]
            for (k, l) in [0.5, 0.6, 0.7].enumerated() { lines += tracedRun(run: k, mode: "baseline", t: &t, locality: l) }
            for (k, l) in [1.0, 0.98, 0.99].enumerated() { lines += tracedRun(run: 3 + k, mode: "rfs", t: &t, locality: l) }
            let path = try writeRecording(dir, "traced.jsonl", lines)
            let runs = try RunExtractor.recordings(in: path)[0]
            #expect(runs.runs.map { $0.locality.map { ($0 * 1000).rounded() / 1000 } } == [0.5, 0.6, 0.7, 1.0, 0.98, 0.99])
            let report = try StatsReport.load([path])
            let base = try #require(report.group(replicas: 1, mode: "baseline")?.locality)
            #expect(abs(base.mean - 0.6) < 1e-9)
            // t(0.975, 2) = 4.303; sd 0.1; n 3: 4.303 * 0.1 / sqrt(3) = 0.248
            #expect(abs((base.ci ?? 0) - 0.2484) < 1e-3)
            let table = report.render(.table)
            #expect(table.contains("Locality"))
            #expect(table.contains("0.600 ± 0.248"))
            #expect(report.render(.markdown).contains("| 1 | 0.600 ± 0.248 | 0.990 ± 0.025 |"))
            let csv = report.render(.csv).split(separator: "\n")
            #expect(csv[1].hasSuffix(",0.6,0.248414"))
            let json = report.render(.json)
            #expect(json.contains("\"locality\":{\"mean\":0.6"))
            // Without flows: no locality table, nulls and empty cells.
            var plain = [headerLine(cpus: 2)]
            plain += runLines(run: 0, mode: "baseline", replicas: 1, t: &t, streamBps: [1e9])
            let untraced = try StatsReport.load([try writeRecording(dir, "plain.jsonl", plain)])
            #expect(!untraced.render(.table).contains("Locality"))
            #expect(untraced.render(.json).contains("\"locality\":null"))
            #expect(untraced.render(.csv).split(separator: "\n")[1].hasSuffix(",,"))
        }
    }
}
