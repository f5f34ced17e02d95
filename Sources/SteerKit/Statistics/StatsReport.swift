/// One CPU's figures in a group.
public struct CoreStats: Equatable, Sendable {
    /// The CPU count of the machines these runs were recorded on (per-core figures of
    /// machines with different counts are kept apart).
    public var cpus: Int
    public var cpu: Int
    /// Over the runs of the group: each run's mean %idle (and %soft) of this CPU.
    public var idle: Estimate?
    public var soft: Estimate?

    public init(cpus: Int, cpu: Int, idle: Estimate?, soft: Estimate?) {
        self.cpus = cpus; self.cpu = cpu; self.idle = idle; self.soft = soft
    }
}

/// The runs of one (replicas, mode), pooled over all files.
public struct StatsGroup: Equatable, Sendable {
    public var replicas: Int
    public var mode: String
    public var runs: Int
    /// Average bitrate per stream in bit/s, over the runs that have one.
    public var bitrate: Estimate?
    /// `bitrate` divided by the baseline mean of the same replicas (mean and half-width);
    /// nil without baseline runs.
    public var normalized: Estimate?
    /// Ordered by CPU count, then CPU.
    public var cores: [CoreStats]
    /// Over the runs recorded with tracing: each run's locality (the share of its flows'
    /// TCP segments processed on their reader's CPU); nil when no run has one.
    public var locality: Estimate?

    public init(replicas: Int, mode: String, runs: Int, bitrate: Estimate?, normalized: Estimate?, cores: [CoreStats],
                locality: Estimate? = nil) {
        self.replicas = replicas; self.mode = mode; self.runs = runs; self.bitrate = bitrate
        self.normalized = normalized; self.cores = cores; self.locality = locality
    }
}

/// The statistics of the paper's Figures 4 to 6 over one or more recordings: per
/// (replicas, mode), the mean and 95% confidence interval of the average bitrate, of the
/// bitrate normalized to the baseline, of each core's %idle and %soft, and (from
/// recordings made with tracing) of the flows' locality.
public struct StatsReport: Sendable {
    /// Ordered by replicas, then mode (the paper's five first, in its order).
    public var groups: [StatsGroup]
    /// The distinct CPU counts of the recordings' headers, ascending.
    public var cpuCounts: [Int]
    /// What the reader should know, one sentence each: skipped lines, runs left out,
    /// missing baselines, groups without an interval.
    public var notes: [String]

    /// Reads `paths` and pools their runs. Throws when a file cannot be read or is not a
    /// recording, or when no run is found at all.
    public static func load(_ paths: [String], options: StatsOptions = StatsOptions()) throws(SteerError) -> StatsReport {
        guard !paths.isEmpty else { throw SteerError.invalid("no recording given: name one or more files") }
        var recordings: [RecordingRuns] = []
        var seen: [(device: UInt64, inode: UInt64, path: String)] = []
        var repeated: [String] = []
        for path in paths {
            // The same file named twice (a.jsonl ./a.jsonl) would count its runs twice.
            if case .success(let st) = LibC.stat(path), st.isRegular {
                if let first = seen.first(where: { $0.device == st.device && $0.inode == st.inode }) {
                    repeated.append("\(path) is the same file as \(first.path): read once")
                    continue
                }
                seen.append((st.device, st.inode, path))
            }
            recordings += try RunExtractor.recordings(in: path, options: options)
        }
        var report = StatsReport(recordings, options: options)
        report.notes = repeated + report.notes
        guard !report.groups.isEmpty else {
            let names = paths.joined(separator: ", ")
            var reasons: [String] = []
            for r in recordings {
                let why = Self.emptyReasons(r, options: options)
                if !why.isEmpty { reasons.append((recordings.count > 1 ? "\(r.path): " : "") + why.joined(separator: "; ")) }
            }
            throw SteerError.invalid("no complete run in \(names)" + (reasons.isEmpty ? "" : ": " + reasons.joined(separator: "; ")))
        }
        return report
    }

    /// Why a recording gave no run, in a few words each.
    static func emptyReasons(_ r: RecordingRuns, options: StatsOptions) -> [String] {
        var why: [String] = []
        if let summary = r.skipped.summary { why.append(summary) }
        if r.usedRunRecords {
            if r.incompleteRuns > 0 { why.append("\(plural(r.incompleteRuns, "run", "runs")) cut short (complete=false)") }
            if r.unendedRuns > 0 { why.append("\(plural(r.unendedRuns, "run", "runs")) without an end") }
            if r.strayEnds > 0 { why.append("\(plural(r.strayEnds, "run end", "run ends")) without a matching start") }
            if why.isEmpty { why.append("no run record with its end") }
        } else {
            var stretch = "no run records, and no stretch of baseline, rps, rps+, rfs or rfs+ samples longer than the \(seconds(options.warmup)) warm-up"
            var more: [String] = []
            if r.shortStretches > 0 { more.append("\(plural(r.shortStretches, "stretch", "stretches")) within it") }
            if r.otherModeSamples > 0 { more.append("\(plural(r.otherModeSamples, "sample", "samples")) of other modes") }
            if !more.isEmpty { stretch += " (" + more.joined(separator: ", ") + ")" }
            why.append(stretch)
        }
        return why
    }

    /// Pools the runs of `recordings` per (replicas, mode).
    public init(_ recordings: [RecordingRuns], options: StatsOptions = StatsOptions()) {
        var notes: [String] = []
        Self.fileNotes(recordings, options: options, into: &notes)

        var byGroup: [GroupKey: [RunSummary]] = [:]
        for r in recordings { for run in r.runs { byGroup[GroupKey(replicas: run.replicas, mode: run.mode), default: []].append(run) } }
        let keys = byGroup.keys.sorted()
        cpuCounts = Array(Set(recordings.map(\.cpus))).sorted()

        var groups: [StatsGroup] = []
        for key in keys {
            let runs = byGroup[key]!
            let bitrate = Estimate(runs.compactMap(\.bitrate))
            var cores: [CoreStats] = []
            for count in Array(Set(runs.map(\.cpus))).sorted() {
                let these = runs.filter { $0.cpus == count }
                let width = these.map { max($0.idle.count, $0.soft.count) }.max() ?? 0
                for cpu in 0..<width {
                    let idle = Estimate(these.compactMap { cpu < $0.idle.count ? $0.idle[cpu] : nil })
                    let soft = Estimate(these.compactMap { cpu < $0.soft.count ? $0.soft[cpu] : nil })
                    if idle == nil && soft == nil { continue }
                    cores.append(CoreStats(cpus: count, cpu: cpu, idle: idle, soft: soft))
                }
            }
            groups.append(StatsGroup(replicas: key.replicas, mode: key.mode, runs: runs.count, bitrate: bitrate,
                                     normalized: nil, cores: cores, locality: Estimate(runs.compactMap(\.locality))))
        }
        // Normalize to the baseline of the same replicas.
        var baseline: [Int: Double] = [:]
        for g in groups where g.mode == Mode.baseline.rawValue {
            if let b = g.bitrate, b.mean > 0 { baseline[g.replicas] = b.mean }
        }
        for k in groups.indices {
            if let base = baseline[groups[k].replicas] { groups[k].normalized = groups[k].bitrate?.divided(by: base) }
        }
        self.groups = groups
        Self.groupNotes(groups, baseline: baseline, cpuCounts: cpuCounts, into: &notes)
        self.notes = notes
    }

    struct GroupKey: Hashable, Comparable {
        var replicas: Int
        var mode: String
        static func < (a: GroupKey, b: GroupKey) -> Bool {
            if a.replicas != b.replicas { return a.replicas < b.replicas }
            let ra = StatsModes.rank(a.mode), rb = StatsModes.rank(b.mode)
            return ra != rb ? ra < rb : a.mode < b.mode
        }
    }

    /// The modes present, in the paper's order.
    public var modes: [String] { StatsModes.sorted(groups.map(\.mode)) }
    /// The replica counts present, ascending.
    public var replicaCounts: [Int] { Array(Set(groups.map(\.replicas))).sorted() }

    public func group(replicas: Int, mode: String) -> StatsGroup? {
        groups.first { $0.replicas == replicas && $0.mode == mode }
    }

    static func seconds(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e9 ? "\(Int(v)) s" : "\(v) s"
    }

    static func plural(_ n: Int, _ one: String, _ many: String) -> String { "\(n) \(n == 1 ? one : many)" }

    static func fileNotes(_ recordings: [RecordingRuns], options: StatsOptions, into notes: inout [String]) {
        // Skipped lines: the first few whole, by file and line, then a summary per recording.
        let shown = 3
        var listed = 0
        for r in recordings {
            for p in r.problems where listed < shown {
                notes.append("\(p.path):\(p.line): \(p.reason); line skipped")
                listed += 1
            }
        }
        // One line per recording that had lines skipped: how many and why.
        for r in recordings {
            if let summary = r.skipped.summary { notes.append("\(r.path): \(summary)") }
        }
        // Recordings concatenated in one file: said, never pooled without a word.
        var parts: [String: [RecordingRuns]] = [:]
        for r in recordings { parts[r.file, default: []].append(r) }
        for (file, rs) in parts.sorted(by: { $0.key < $1.key }) where rs.count > 1 {
            notes.append("\(file) holds \(rs.count) recordings (headers at lines \(rs.map { String($0.headerLine) }.joined(separator: ", "))): "
                         + "each is read on its own, no run crosses from one to the next, and their runs are pooled as for separate files")
        }
        for r in recordings {
            let p = r.path
            if !r.usedRunRecords {
                notes.append("\(p) has no run records: each stretch of one mode is a run, its first \(seconds(options.warmup)) skipped")
            }
            if r.incompleteRuns > 0 { notes.append("\(p): \(plural(r.incompleteRuns, "run", "runs")) cut short (complete=false) left out") }
            if r.unendedRuns > 0 { notes.append("\(p): \(plural(r.unendedRuns, "run", "runs")) without an end left out") }
            if r.strayEnds > 0 { notes.append("\(p): \(plural(r.strayEnds, "run end", "run ends")) without a matching start ignored") }
            if r.unattributedStreamEnds > 0 {
                notes.append("\(p): \(plural(r.unattributedStreamEnds, "stream_end record", "stream_end records")) "
                             + (r.usedRunRecords ? "outside any run ignored" : "not used (the bitrate of a stretch comes from its samples)"))
            }
            if r.shortStretches > 0 {
                notes.append("\(p): \(plural(r.shortStretches, "stretch", "stretches")) no longer than the \(seconds(options.warmup)) warm-up left out")
            }
            if r.otherModeSamples > 0 {
                notes.append("\(p): \(plural(r.otherModeSamples, "sample", "samples")) of other modes (custom, unknown) left out")
            }
            let noStreams = r.runs.filter { $0.source == .stretch && $0.replicas == 0 }.count
            if noStreams > 0 {
                notes.append("\(p): \(plural(noStreams, "stretch", "stretches")) saw no iperf3 stream: grouped under replicas 0")
            }
        }
    }

    static func groupNotes(_ groups: [StatsGroup], baseline: [Int: Double], cpuCounts: [Int], into notes: inout [String]) {
        if cpuCounts.count > 1 {
            notes.append("the recordings come from machines with different CPU counts (\(cpuCounts.map(String.init).joined(separator: ", "))): bitrates are pooled, per-core figures are given per CPU count")
        }
        let replicas = Array(Set(groups.map(\.replicas))).sorted()
        if baseline.isEmpty {
            notes.append("no baseline runs: no normalized bitrate; absolute bitrates shown")
        } else {
            for r in replicas where baseline[r] == nil {
                notes.append("no baseline runs with \(plural(r, "replica", "replicas")): no normalized bitrate for them; absolute bitrates shown")
            }
        }
        for g in groups {
            let what = "\(g.mode) with \(plural(g.replicas, "replica", "replicas"))"
            if g.runs == 1 {
                notes.append("\(what) has only 1 run: no confidence interval")
            } else if let b = g.bitrate, b.count == 1 {
                notes.append("\(what) has a bitrate in only 1 run: no confidence interval")
            }
            let without = g.runs - (g.bitrate?.count ?? 0)
            if without > 0 {
                notes.append("\(what): \(plural(without, "run has", "runs have")) no bitrate (no stream_end record and no total_bps)")
            }
        }
    }
}
