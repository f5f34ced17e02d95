import SteerKit

/// The interfaces table: one row per rx queue (namespace or pod, interface, rx rates,
/// rps_cpus as a CPU list, rps_flow_cnt). When rows do not fit, runs of queues with the
/// same settings merge into one row ("rx-0..63"), then the busiest interfaces are shown
/// and the list ends in "+N quieter interfaces".
enum InterfacesPanel {
    /// A table row: queues `queues` of interface `iface` (one queue, or a run of queues
    /// with the same settings). Text is made only for the rows shown.
    struct Row: Equatable {
        var iface: Int
        /// The interface's first row (the one that shows its name and rates).
        var first: Bool
        /// Indexes into the interface's queues; empty for an interface without queues.
        var queues: Range<Int>
    }

    enum Kind: Equatable { case cpus, empty, unknown }

    static func rows(_ ifaces: [InterfaceSample], grouped: Bool) -> [Row] {
        var out: [Row] = []
        for (i, iface) in ifaces.enumerated() {
            let qs = iface.queues
            guard !qs.isEmpty else {
                out.append(Row(iface: i, first: true, queues: 0..<0))
                continue
            }
            var k = 0
            while k < qs.count {
                var end = k + 1
                if grouped {
                    while end < qs.count, qs[end].rpsCPUs == qs[k].rpsCPUs, qs[end].rpsFlowCount == qs[k].rpsFlowCount {
                        end += 1
                    }
                }
                out.append(Row(iface: i, first: k == 0, queues: k..<end))
                k = end
            }
        }
        return out
    }

    /// rps_cpus masks already turned into lists in this frame: a node has a few distinct
    /// masks over many queues, and parsing each (CPUSet(mask:)) is most of a frame's work.
    struct MaskCache {
        var lists: [String: (String, Kind)] = [:]

        mutating func text(_ q: QueueState) -> (String, Kind) {
            guard let mask = q.rpsCPUs else { return ("?", .unknown) }
            if let hit = lists[mask] { return hit }
            let t = InterfacesPanel.rpsText(q)
            lists[mask] = t
            return t
        }
    }

    /// rps_cpus as a CPU list: "0-3,5"; "-" for an empty mask; "?" where unreadable.
    static func rpsText(_ q: QueueState) -> (String, Kind) {
        guard let mask = q.rpsCPUs else { return ("?", .unknown) }
        guard let set = CPUSet(mask: mask) else { return (mask, .unknown) }
        return set.isEmpty ? ("-", .empty) : (set.list, .cpus)
    }

    static func queueCount(_ ifaces: [InterfaceSample]) -> Int {
        ifaces.reduce(0) { $0 + max(1, $1.queues.count) }
    }

    static func fullHeight(_ ifaces: [InterfaceSample]) -> Int { 2 + max(1, queueCount(ifaces)) }
    /// The height with runs of like queues merged (what a shortened table shows).
    static func groupedHeight(_ ifaces: [InterfaceSample]) -> Int { 2 + max(1, rows(ifaces, grouped: true).count) }
    static func minHeight(_ ifaces: [InterfaceSample]) -> Int { 2 + min(3, max(1, queueCount(ifaces))) }

    /// Column x offsets and widths: namespace/pod, iface, rx Mb/s, rx pps, queue, rps_cpus, flow_cnt.
    struct Columns {
        var x: [Int] = []
        var w: [Int] = []
    }

    static func columns(width: Int) -> Columns {
        let narrow = width < 80
        // iface, rx Mb/s ("9410.0"; "100000.0" at 100G), rx pps, queue ("rx-12..15"), flow_cnt
        let fixed = narrow ? [8, 7, 6, 9, 8] : [15, 8, 7, 9, 8]
        let rest = width - fixed.reduce(0, +) - 6
        let rps = min(40, max(8, rest / 3))
        let ns = max(4, min(48, rest - rps))
        let widths = [ns, fixed[0], fixed[1], fixed[2], fixed[3], rps, fixed[4]]
        var c = Columns()
        var x = 0
        for w in widths {
            c.x.append(x); c.w.append(w)
            x += w + 1
        }
        return c
    }

    static let headings = ["namespace/pod", "iface", "rx Mb/s", "rx pps", "queue", "rps_cpus", "flow_cnt"]
    static let rightAligned = [false, false, true, true, false, false, true]

    static func titleSegments(_ s: Sample, ctx: Context, summary: Bool, masks: inout MaskCache) -> [Segment] {
        let p = ctx.p
        var segs = [Segment("Interfaces \(s.ifaces.count)", p[.title])]
        segs.append(Segment("\(queueCount(s.ifaces)) queues", p[.text], priority: 3))
        let sock = s.sockFlowEntries.map(String.init) ?? "?"
        if summary {
            var rx = 0.0, pps = 0.0, steered = 0, queues = 0
            for i in s.ifaces {
                rx += i.rxBps; pps += i.rxPps
                for q in i.queues {
                    queues += 1
                    if masks.text(q).1 == .cpus { steered += 1 }
                }
            }
            segs.append(Segment("rx \(Format.bitRate(rx)) \(Format.si(pps)) pps", p[.net], priority: 2))
            segs.append(Segment("RPS on \(steered)/\(queues) queues", p[.text], priority: 2))
        }
        segs.append(Segment("rps_sock_flow_entries \(sock)", s.sockFlowEntries == nil ? p[.warn] : p[.text], priority: 1))
        return segs
    }

    static func draw(_ s: Sample, in rect: Rect, ctx: Context, into buf: inout Buffer) {
        let p = ctx.p
        var masks = MaskCache()
        Draw.titleRule(titleSegments(s, ctx: ctx, summary: false, masks: &masks), row: rect.row(0), ctx: ctx, into: &buf)
        let cols = columns(width: rect.width)
        for (i, h) in headings.enumerated() {
            let text = rightAligned[i] ? Format.right(h, cols.w[i]) : Format.truncate(h, cols.w[i], ellipsis: ctx.g.ellipsis)
            buf.put(text, at: (rect.x + cols.x[i], rect.y + 1), style: p[.label], maxWidth: cols.w[i])
        }
        let dataRows = rect.height - 2
        guard dataRows > 0 else { return }
        guard !s.ifaces.isEmpty else {
            buf.put("no interfaces", at: (rect.x, rect.y + 2), style: p[.label], maxWidth: rect.width)
            return
        }
        let grouped = queueCount(s.ifaces) > dataRows
        var ifaces = s.ifaces
        var rows = rows(ifaces, grouped: grouped)
        var quieter = 0
        if rows.count > dataRows {
            // Not all fit: keep the busiest interfaces (by rx rate; what a person watching
            // receive processing looks for), in their order, and count the quieter ones.
            var rowsOf = [Int](repeating: 0, count: ifaces.count)
            for r in rows { rowsOf[r.iface] += 1 }
            let byRate = ifaces.indices.sorted { (ifaces[$0].rxBps, -$0) > (ifaces[$1].rxBps, -$1) }
            var budget = dataRows - 1
            var keep = [Bool](repeating: false, count: ifaces.count)
            for i in byRate where rowsOf[i] <= budget {
                keep[i] = true
                budget -= rowsOf[i]
            }
            if keep.contains(true) {
                quieter = keep.filter { !$0 }.count
                ifaces = ifaces.indices.filter { keep[$0] }.map { ifaces[$0] }
                rows = InterfacesPanel.rows(ifaces, grouped: grouped)
            }
        }
        let visible = rows.count > dataRows - (quieter > 0 ? 1 : 0) ? dataRows - 1 : rows.count
        for r in 0..<visible {
            drawRow(rows[r], ifaces[rows[r].iface], cols: cols, x: rect.x, y: rect.y + 2 + r, masks: &masks,
                    ctx: ctx, into: &buf)
        }
        if visible < rows.count || quieter > 0 {
            var parts: [String] = []
            let hidden = rows[visible...]
            if visible > 0 {
                let last = rows[visible - 1].iface
                let cut = hidden.filter { $0.iface == last }.count
                if cut > 0 { parts.append("+\(cut) more queue rows of \(ifaces[last].name)") }
            }
            let more = hidden.filter(\.first).count + quieter
            if more > 0 { parts.append("+\(more) quieter interface\(more == 1 ? "" : "s")") }
            buf.put(parts.joined(separator: ", "), at: (rect.x, rect.y + 2 + visible), style: p[.label], maxWidth: rect.width)
        }
    }

    static func drawRow(_ row: Row, _ iface: InterfaceSample, cols: Columns, x: Int, y: Int, masks: inout MaskCache,
                        ctx: Context, into buf: inout Buffer) {
        let p = ctx.p
        func put(_ i: Int, _ text: String, _ style: Style) {
            if rightAligned[i] {
                Draw.right(text, at: (x + cols.x[i], y), width: cols.w[i], style: style, into: &buf)
            } else {
                buf.put(Format.truncate(text, cols.w[i], ellipsis: ctx.g.ellipsis), at: (x + cols.x[i], y), style: style)
            }
        }
        if row.first {
            var spans: [Span]
            if let pod = ctx.state.podNames[iface.netns] {
                spans = [Span(pod, p[.text]), Span(" " + iface.netns, p[.label])]
            } else if let pod = ctx.state.vethPods[iface.netns]?[iface.name] {
                spans = [Span(pod, p[.text]), Span(" " + (iface.netns.isEmpty ? "host" : iface.netns), p[.label])]
            } else if iface.netns.isEmpty {
                spans = [Span("host", p[.label])]
            } else {
                spans = [Span(iface.netns, p[.text])]
            }
            Draw.spans(spans, at: (x + cols.x[0], y), maxWidth: cols.w[0], ellipsis: ctx.g.ellipsis, into: &buf)
            put(1, iface.name, p[.text])
            put(2, Format.fixed(iface.rxBps / 1e6, 1), p[.net])
            put(3, Format.si(iface.rxPps), p[.net])
        }
        guard let first = row.queues.first else {
            put(4, "-", p[.label]); put(5, "-", p[.label]); put(6, "-", p[.label])
            return
        }
        let q = iface.queues[first], lastQueue = iface.queues[row.queues.upperBound - 1].queue
        put(4, "rx-" + Format.number(q.queue) + (row.queues.count > 1 ? ".." + Format.number(lastQueue) : ""), p[.label])
        let (rps, kind) = masks.text(q)
        put(5, rps, kind == .cpus ? p[.text] : (kind == .empty ? p[.label] : p[.warn]))
        if let flow = q.rpsFlowCount {
            put(6, Format.number(flow), p[.text])
        } else {
            put(6, "?", p[.warn])
        }
    }

    static func summary(_ s: Sample, row: Rect, ctx: Context, into buf: inout Buffer) {
        var masks = MaskCache()
        Draw.titleRule(titleSegments(s, ctx: ctx, summary: true, masks: &masks), row: row, ctx: ctx, into: &buf)
    }
}
