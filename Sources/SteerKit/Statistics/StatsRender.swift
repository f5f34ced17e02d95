/// How `steertop stats` prints a report.
public enum StatsFormat: String, CaseIterable, Sendable {
    /// Aligned text tables (Figures 4 to 6 as numbers) and a bar chart.
    case table
    /// One row per group and core (see `StatsReport.csv`).
    case csv
    /// `{"groups": [...]}` (see `StatsReport.json`).
    case json
    /// The tables of `table` as GitHub markdown.
    case markdown
}

/// A titled table of text cells: the first column is a label, the others are figures.
public struct TextTable: Equatable, Sendable {
    public var title: String
    public var header: [String]
    public var rows: [[String]]
}

extension StatsReport {
    /// The report in `format`; `ascii` keeps the text to ASCII ("+-", '#' and '|' bars).
    public func render(_ format: StatsFormat, ascii: Bool = false) -> String {
        switch format {
        case .json: return json()
        case .csv: return csv()
        case .markdown: return markdown(ascii: ascii)
        case .table: return text(ascii: ascii)
        }
    }

    // MARK: json

    /// `{"groups":[{"replicas":16,"mode":"rfs+","runs":20,"bitrate_bps":{"mean":…,"ci":…},
    /// "normalized":{"mean":…,"ci":…},"locality":{"mean":…,"ci":…},"cores":[{"cpu":0,"idle":{…},"soft":{…}}]}]}` and a
    /// newline. Groups by replicas, then mode; an estimate is null where there is none
    /// (normalized without a baseline), a "ci" null where it rests on fewer than two runs.
    /// When the recordings come from machines with different CPU counts, each core also
    /// says `"cpus"`, the count of the machines its figures come from.
    public func json() -> String {
        var out = JSONBuffer(capacity: 4096)
        let mixed = cpuCounts.count > 1
        out.beginObject()
        out.key("groups")
        out.beginArray()
        for g in groups {
            out.beginObject()
            out.key("replicas"); out.int(g.replicas)
            out.key("mode"); out.string(g.mode)
            out.key("runs"); out.int(g.runs)
            out.key("bitrate_bps"); Self.write(g.bitrate, into: &out)
            out.key("normalized"); Self.write(g.normalized, into: &out)
            out.key("locality"); Self.write(g.locality, into: &out)
            out.key("cores")
            out.beginArray()
            for c in g.cores {
                out.beginObject()
                if mixed { out.key("cpus"); out.int(c.cpus) }
                out.key("cpu"); out.int(c.cpu)
                out.key("idle"); Self.write(c.idle, into: &out)
                out.key("soft"); Self.write(c.soft, into: &out)
                out.endObject()
            }
            out.endArray()
            out.endObject()
        }
        out.endArray()
        out.endObject()
        out.newline()
        return String(decoding: out.bytes, as: UTF8.self)
    }

    static func write(_ e: Estimate?, into out: inout JSONBuffer) {
        guard let e else { return out.null() }
        out.beginObject()
        out.key("mean"); out.number(e.mean)
        out.key("ci")
        if let ci = e.ci { out.number(ci) } else { out.null() }
        out.endObject()
    }

    // MARK: csv

    /// The columns of `csv`, in order.
    public static let csvColumns = [
        "replicas", "mode", "runs", "bitrate_bps_mean", "bitrate_bps_ci", "normalized_mean", "normalized_ci",
        "cpus", "cpu", "idle_mean", "idle_ci", "soft_mean", "soft_ci", "locality_mean", "locality_ci",
    ]

    /// One row per group and core (the group's columns repeated on each of its cores; a
    /// group without CPU figures has one row with the core columns empty). Empty cells
    /// where `json` has null. `cpus` is the CPU count of the machines the core's figures
    /// come from.
    public func csv() -> String {
        var lines = [Self.csvColumns.joined(separator: ",")]
        // Rounded to what the inputs carry, and two digits more: bits/s are whole in the
        // recordings, percentages have 2 decimals, ratios come from whole bits/s
        // ("41.0113", not "41.011250000000004"). JSON keeps every digit for programs.
        func v(_ x: Double?, _ decimals: Int) -> String { x.map { Self.trimmed(Self.fixed($0, decimals)) } ?? "" }
        for g in groups {
            let head = ["\(g.replicas)", TerminalText.csvField(g.mode, limit: 256), "\(g.runs)", v(g.bitrate?.mean, 2), v(g.bitrate?.ci, 2),
                        v(g.normalized?.mean, 6), v(g.normalized?.ci, 6)]
            // Locality is a group's figure, last so that the columns before keep their places.
            let tail = [v(g.locality?.mean, 6), v(g.locality?.ci, 6)]
            if g.cores.isEmpty {
                lines.append((head + ["", "", "", "", "", ""] + tail).joined(separator: ","))
            }
            for c in g.cores {
                lines.append((head + ["\(c.cpus)", "\(c.cpu)", v(c.idle?.mean, 4), v(c.idle?.ci, 4), v(c.soft?.mean, 4),
                                      v(c.soft?.ci, 4)] + tail).joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: tables

    /// Bits per second in the unit that suits `largest`: (name, divisor, decimals).
    static func bitrateUnit(_ largest: Double) -> (String, Double, Int) {
        if largest >= 1e9 { return ("Gbit/s", 1e9, 3) }
        if largest >= 1e6 { return ("Mbit/s", 1e6, 1) }
        if largest >= 1e3 { return ("kbit/s", 1e3, 1) }
        return ("bit/s", 1, 0)
    }

    /// The tables of Figures 6, 4 and 5 as numbers: normalized bitrate (rows replicas,
    /// columns modes), absolute bitrate, runs, then %idle and %soft per core (rows modes,
    /// columns cores) for each replica count and CPU count.
    public func tables(ascii: Bool = false) -> [TextTable] {
        let pm = ascii ? " +- " : " ± "
        func cell(_ e: Estimate?, scale: Double = 1, decimals: Int) -> String {
            guard let e else { return "-" }
            let m = Self.fixed(e.mean / scale, decimals)
            guard let ci = e.ci else { return m }
            // An interval on fewer than 3 runs is marked: it is wide for want of runs.
            return m + pm + Self.fixed(ci / scale, decimals) + (e.count < Self.fewRuns ? Self.fewRunsMark : "")
        }
        let modes = self.modes
        let replicas = replicaCounts
        var out: [TextTable] = []
        // Mode names come from recordings: shown with their control characters escaped.
        let header = ["replicas"] + modes.map { Self.shown($0) }
        if groups.contains(where: { $0.normalized != nil }) {
            out.append(TextTable(
                title: "Normalized average bitrate (mean\(pm)95% CI; 1 = the baseline of the same replicas)",
                header: header,
                rows: replicas.map { r in ["\(r)"] + modes.map { cell(group(replicas: r, mode: $0)?.normalized, decimals: 3) } }))
        }
        let largest = groups.compactMap { $0.bitrate?.mean }.max() ?? 0
        let (unit, divisor, decimals) = Self.bitrateUnit(largest)
        out.append(TextTable(
            title: "Average bitrate per stream, \(unit) (mean\(pm)95% CI)",
            header: header,
            rows: replicas.map { r in ["\(r)"] + modes.map { cell(group(replicas: r, mode: $0)?.bitrate, scale: divisor, decimals: decimals) } }))
        out.append(TextTable(
            title: "Runs",
            header: header,
            rows: replicas.map { r in ["\(r)"] + modes.map { m in group(replicas: r, mode: m).map { "\($0.runs)" } ?? "-" } }))
        if groups.contains(where: { $0.locality != nil }) {
            out.append(TextTable(
                title: "Locality: share of TCP segments processed on the reader's CPU (mean\(pm)95% CI; from tracing)",
                header: header,
                rows: replicas.map { r in ["\(r)"] + modes.map { cell(group(replicas: r, mode: $0)?.locality, decimals: 3) } }))
        }
        for (name, pick) in [("%idle", { (c: CoreStats) in c.idle }), ("%soft", { (c: CoreStats) in c.soft })] {
            for count in cpuCounts {
                for r in replicas {
                    let here = groups.filter { $0.replicas == r && $0.cores.contains { $0.cpus == count } }
                    guard !here.isEmpty else { continue }
                    let cpus = Array(Set(here.flatMap { $0.cores.filter { $0.cpus == count }.map(\.cpu) })).sorted()
                    out.append(TextTable(
                        title: "\(name) per core, \(Self.plural(r, "replica", "replicas")) (\(count) CPUs; mean\(pm)95% CI)",
                        header: ["mode"] + cpus.map { "cpu\($0)" },
                        rows: here.map { g in
                            [Self.shown(g.mode)] + cpus.map { cpu in cell(g.cores.first { $0.cpus == count && $0.cpu == cpu }.flatMap(pick), decimals: 1) }
                        }))
                }
            }
        }
        return out
    }

    /// "41.011300" → "41.0113", "2.000" → "2".
    static func trimmed(_ s: String) -> String {
        guard s.contains(".") else { return s }
        var t = Substring(s)
        while t.hasSuffix("0") { t = t.dropLast() }
        if t.hasSuffix(".") { t = t.dropLast() }
        return String(t)
    }

    /// Intervals that rest on fewer runs than this are marked with `fewRunsMark`.
    public static let fewRuns = 3
    public static let fewRunsMark = " *"

    /// The note under tables with marked intervals.
    static func fewRunsNote(_ tables: [TextTable]) -> String? {
        guard tables.contains(where: { $0.rows.contains { $0.contains { $0.hasSuffix(fewRunsMark) } } }) else { return nil }
        return "* rests on fewer than \(fewRuns) runs: with 2 runs Student's t is 12.7, so the interval is wide for want of runs; record more (sweep --runs)"
    }

    /// Aligned text tables and the bar chart.
    public func text(ascii: Bool = false) -> String {
        var s = ""
        let all = tables(ascii: ascii)
        for t in all {
            s += t.title + "\n" + Self.aligned(t) + "\n"
        }
        if let note = Self.fewRunsNote(all) { s += note + "\n\n" }
        s += chart(ascii: ascii)
        return s
    }

    /// The tables as GitHub markdown.
    public func markdown(ascii: Bool = false) -> String {
        var s = ""
        let all = tables(ascii: ascii)
        for t in all {
            s += "### " + t.title + "\n\n"
            s += "| " + t.header.map { TerminalText.markdownCell($0) }.joined(separator: " | ") + " |\n"
            s += "|" + t.header.indices.map { $0 == 0 ? " --- |" : " ---: |" }.joined() + "\n"
            for row in t.rows { s += "| " + row.map { TerminalText.markdownCell($0) }.joined(separator: " | ") + " |\n" }
            s += "\n"
        }
        if let note = Self.fewRunsNote(all) { s += note + "\n" }
        return s
    }

    /// The first column left-aligned, the others right-aligned, two spaces apart.
    static func aligned(_ t: TextTable) -> String {
        let all = [t.header] + t.rows
        let columns = all.map(\.count).max() ?? 0
        var widths = Array(repeating: 0, count: columns)
        for row in all { for (k, c) in row.enumerated() { widths[k] = max(widths[k], c.count) } }
        var s = ""
        for row in all {
            var line = ""
            for (k, c) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[k] - c.count)
                if k == 0 { line += c + pad } else { line += "  " + pad + c }
            }
            s += line.trimmingTrailingSpaces() + "\n"
        }
        return s
    }

    // MARK: chart

    /// Horizontal bars of the normalized bitrate (or, without any baseline, of the
    /// absolute bitrate), one per (replicas, mode), with the 95% interval drawn over it:
    /// ├ and ┤ (| in ASCII) at its ends, ─ (-) beyond the bar.
    public func chart(ascii: Bool = false, width: Int = 48) -> String {
        let normalized = groups.contains { $0.normalized != nil }
        let largest = groups.compactMap { $0.bitrate?.mean }.max() ?? 0
        let (unit, divisor, decimals) = normalized ? ("", 1.0, 3) : Self.bitrateUnit(largest)
        let entries: [(Int, String, Estimate)] = groups.compactMap { g in
            let e = normalized ? g.normalized : g.bitrate?.divided(by: divisor)
            return e.map { (g.replicas, Self.shown(g.mode), $0) }
        }
        guard !entries.isEmpty else { return "" }
        var hi = entries.map { $0.2.mean + ($0.2.ci ?? 0) }.max()!
        let lowest = entries.map { $0.2.mean - ($0.2.ci ?? 0) }.min()!
        var lo = 0.0
        if normalized {
            // Differences of a few percent vanish on an axis from 0: start it near the lowest end.
            if lowest > 0.5 { lo = ((lowest * 10).rounded(.down) - 1) / 10 }
            hi = (hi * 10).rounded(.up) / 10
        }
        if hi <= lo { hi = lo + 1 }
        let pm = ascii ? " +- " : " ± "
        let label = max(8, entries.map { $0.1.count }.max()!)
        func position(_ v: Double) -> Double { min(max((v - lo) / (hi - lo) * Double(width), 0), Double(width)) }
        let partial: [Character] = [" ", "▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"]
        let block: Character = ascii ? "#" : "█"

        var s = normalized
            ? "Normalized average bitrate (bar: mean; \(ascii ? "|--|" : "├─┤"): 95% CI; axis from \(Self.fixed(lo, 2)) to \(Self.fixed(hi, 2)))\n"
            : "Average bitrate per stream, \(unit) (no baseline; bar: mean; \(ascii ? "|--|" : "├─┤"): 95% CI)\n"
        var lastReplicas: Int?
        for (r, mode, e) in entries {
            if r != lastReplicas {
                s += Self.plural(r, "replica", "replicas") + "\n"
                lastReplicas = r
            }
            var cells = [Character](repeating: " ", count: width + 1)
            let m = position(e.mean)
            let full = Int(m)
            let eighths = Int(((m - Double(full)) * 8).rounded())
            for c in 0..<min(full, width + 1) { cells[c] = block }
            var barEnd = full
            if full <= width && eighths > 0 {
                if ascii {
                    if eighths >= 4 { cells[full] = block; barEnd += 1 }
                } else {
                    cells[full] = partial[eighths]
                    barEnd += 1
                }
            }
            if let ci = e.ci, ci > 0 {
                let l = Int(position(e.mean - ci))
                let u = Int(position(e.mean + ci))
                if max(barEnd, l + 1) < u { for c in max(barEnd, l + 1)..<u { cells[c] = ascii ? "-" : "─" } }
                if l == u {
                    cells[l] = ascii ? "|" : "┼"
                } else {
                    cells[l] = ascii ? "|" : "├"
                    cells[u] = ascii ? "|" : "┤"
                }
            }
            let value = Self.fixed(e.mean, decimals) + (e.ci.map { pm + Self.fixed($0, decimals) } ?? "")
            s += "  " + mode + String(repeating: " ", count: label - mode.count) + (ascii ? " |" : " │")
                + String(cells) + "  " + value + "\n"
        }
        // The axis: its two ends, and 1 (the baseline) where it falls inside.
        var axis = [Character](repeating: ascii ? "-" : "─", count: width + 1)
        axis[0] = ascii ? "+" : "└"
        if normalized && lo < 1 && 1 < hi { axis[Int(position(1))] = ascii ? "+" : "┴" }
        s += "  " + String(repeating: " ", count: label) + " " + String(axis) + "\n"
        let left = Self.fixed(lo, normalized ? 2 : decimals), right = Self.fixed(hi, normalized ? 2 : decimals)
        var ticks = [Character](repeating: " ", count: width + 2 + right.count)
        for (k, ch) in left.enumerated() { ticks[1 + k] = ch }
        if normalized && lo < 1 && 1 < hi {
            let at = Int(position(1)) + 1
            if at - 2 > left.count + 1 && at + 2 < width - right.count { for (k, ch) in "1.00".enumerated() { ticks[at - 2 + k] = ch } }
        }
        for (k, ch) in right.enumerated() { ticks[width + 1 - right.count + k + 1] = ch }
        s += "  " + String(repeating: " ", count: label) + String(ticks).trimmingTrailingSpaces() + "\n"
        return s
    }

    /// A mode name from a recording as the table and the chart show it: control
    /// characters escaped, at most 64 bytes.
    static func shown(_ mode: String) -> String { TerminalText.escape(mode, limit: 64) }

    // MARK: numbers

    /// `v` with exactly `decimals` digits after the point ("1.200", "24.8"); "nan" and
    /// "inf" for the non-finite.
    public static func fixed(_ v: Double, _ decimals: Int) -> String {
        guard v.isFinite else { return v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf") }
        var p = 1.0
        for _ in 0..<decimals { p *= 10 }
        let scaled = (abs(v) * p).rounded()
        guard scaled < 9e15 else { return "\(v)" }
        let n = Int(scaled)
        let q = Int(p)
        let sign = v < 0 && n != 0 ? "-" : ""
        guard decimals > 0 else { return sign + "\(n)" }
        var frac = String(n % q)
        frac = String(repeating: "0", count: decimals - frac.count) + frac
        return sign + "\(n / q)." + frac
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
