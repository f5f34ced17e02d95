import SteerKit

/// The interfaces table: one row per rx queue (namespace or pod, interface, rx and tx
/// rates, rps_cpus as a CPU list, rps_flow_cnt), in a stable order (the receive path: the
/// node's interfaces, then each pod with its veth beside its eth0; or by rate or name), and
/// filtered. When rows do not fit, runs of queues with the same settings merge into one row
/// ("rx-0..63"), then the table scrolls (↑ ↓) with its range in the last row.
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

    /// The pod an interface belongs to: its own namespace's pod, or the pod it is the
    /// node-side veth of.
    static func pod(_ i: InterfaceSample, _ st: DashboardState) -> String? {
        st.podNames[i.netns] ?? st.vethPods[i.netns]?[i.name]
    }

    /// The first column of a row in every panel that names interfaces (interfaces, stages,
    /// flows): the pod, or the namespace, or "host". Pods of one deployment share a long
    /// prefix, so a name too long is cut from the left: the part that tells them apart
    /// stays. The namespace follows a pod's name where there is room for its start ("host"
    /// on the node's veth, "cni-…" in the pod), cut short with an ellipsis (Draw.spans).
    static func podSpans(_ iface: InterfaceSample, width: Int, ctx: Context) -> [Span] {
        let p = ctx.p
        guard let pod = pod(iface, ctx.state) else {
            return iface.netns.isEmpty ? [Span("host", p[.label])] : [Span(iface.netns, p[.text])]
        }
        let place = iface.netns.isEmpty ? "host" : iface.netns
        if Format.width(pod) + 2 < width { return [Span(pod, p[.text]), Span(" " + place, p[.label])] }
        if Format.width(pod) <= width { return [Span(pod, p[.text])] }
        return [Span(String(ctx.g.ellipsis) + String(pod.unicodeScalars.suffix(max(0, width - 1))), p[.text])]
    }

    /// The interfaces the table shows, in its order, filtered.
    static func ordered(_ ifaces: [InterfaceSample], _ st: DashboardState) -> [InterfaceSample] {
        let needle = st.ifaceFilter.lowercased()
        var keyed: [(i: Int, pod: String?, iface: InterfaceSample)] = []
        for (i, iface) in ifaces.enumerated() {
            let pod = pod(iface, st)
            if !needle.isEmpty {
                let hay = ((pod ?? "") + " " + (iface.netns.isEmpty ? "host" : iface.netns) + " " + iface.name).lowercased()
                guard hay.contains(needle) else { continue }
            }
            keyed.append((i, pod, iface))
        }
        switch st.ifaceOrder {
        case .path:
            // The node's own interfaces first (its namespace is sampled first), as sampled;
            // then each pod (or other namespace) by name, the pod's veth on the node before
            // the interfaces of its own namespace.
            let node = ifaces.first?.netns ?? ""
            func group(_ k: (i: Int, pod: String?, iface: InterfaceSample)) -> String? {
                k.pod ?? (k.iface.netns == node ? nil : k.iface.netns)
            }
            keyed.sort { a, b in
                switch (group(a), group(b)) {
                case (nil, nil): return a.i < b.i
                case (nil, _): return true
                case (_, nil): return false
                case (let ga?, let gb?):
                    if ga != gb { return ga < gb }
                    let oa = a.iface.netns == node ? 0 : 1, ob = b.iface.netns == node ? 0 : 1
                    return (oa, a.i) < (ob, b.i)
                }
            }
        case .rate:
            keyed.sort { ($0.iface.rxBps, -$0.i) > ($1.iface.rxBps, -$1.i) }
        case .name:
            func key(_ k: (i: Int, pod: String?, iface: InterfaceSample)) -> String {
                (k.pod ?? (k.iface.netns.isEmpty ? "host" : k.iface.netns)) + "\u{0}" + k.iface.name
            }
            keyed.sort { (key($0), $0.i) < (key($1), $1.i) }
        }
        return keyed.map(\.iface)
    }

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

    /// rps_cpus as a CPU list: "0-3,5"; "off" for an empty mask (RPS off); "?" where unreadable.
    static func rpsText(_ q: QueueState) -> (String, Kind) {
        guard let mask = q.rpsCPUs else { return ("?", .unknown) }
        guard let set = CPUSet(mask: mask) else { return (mask, .unknown) }
        return set.isEmpty ? ("off", .empty) : (set.list, .cpus)
    }

    static func queueCount(_ ifaces: [InterfaceSample]) -> Int {
        ifaces.reduce(0) { $0 + max(1, $1.queues.count) }
    }

    static func fullHeight(_ ifaces: [InterfaceSample]) -> Int { 2 + max(1, queueCount(ifaces)) }
    /// The height with runs of like queues merged (what a shortened table shows).
    static func groupedHeight(_ ifaces: [InterfaceSample]) -> Int { 2 + max(1, rows(ifaces, grouped: true).count) }
    static func minHeight(_ ifaces: [InterfaceSample]) -> Int { 2 + min(3, max(1, queueCount(ifaces))) }

    /// The table's columns: heading, width, right-aligned. rx pps only where there is room.
    struct Column {
        enum Field { case pod, iface, rx, tx, pps, queue, rps, flow }
        var field: Field
        var heading: String
        var width: Int
        var right: Bool
    }

    /// Columns and their x offsets for a table `width` wide.
    static func columns(width: Int) -> [(x: Int, c: Column)] {
        let narrow = width < 80
        var cols: [Column] = [
            Column(field: .pod, heading: "namespace/pod", width: 0, right: false),
            Column(field: .iface, heading: "iface", width: narrow ? 8 : 15, right: false),
            // "9410.0"; "100000.0" at 100G
            Column(field: .rx, heading: "rx Mb/s", width: narrow ? 7 : 8, right: true),
            Column(field: .tx, heading: "tx Mb/s", width: narrow ? 7 : 8, right: true),
        ]
        if width >= 100 { cols.append(Column(field: .pps, heading: "rx pps", width: 7, right: true)) }
        cols.append(Column(field: .queue, heading: "queue", width: 9, right: false))
        cols.append(Column(field: .rps, heading: "rps_cpus", width: 0, right: false))
        cols.append(Column(field: .flow, heading: "flow_cnt", width: 8, right: true))
        let fixed = cols.reduce(0) { $0 + $1.width }
        let rest = width - fixed - (cols.count - 1)
        let rps = min(40, max(8, rest / 3))
        cols[cols.count - 2].width = rps
        cols[0].width = max(4, min(48, rest - rps))
        var out: [(x: Int, c: Column)] = []
        var x = 0
        for c in cols {
            out.append((x, c))
            x += c.width + 1
        }
        return out
    }

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
        if !ctx.state.ifaceFilter.isEmpty {
            segs.append(Segment("filter \"\(ctx.state.ifaceFilter)\"", p[.warn], priority: 1))
        }
        if let order = ctx.state.ifaceOrder.title { segs.append(Segment(order, p[.text], priority: 2)) }
        return segs
    }

    /// Draws `ifaces` (already ordered and filtered) of sample `s`; returns the window of
    /// rows shown: the first, the rows a page, the largest useful scroll.
    @discardableResult
    static func draw(_ s: Sample, _ ifaces: [InterfaceSample], in rect: Rect, ctx: Context,
                     into buf: inout Buffer) -> (first: Int, page: Int, scrollMax: Int) {
        let p = ctx.p
        var masks = MaskCache()
        Draw.titleRule(titleSegments(s, ctx: ctx, summary: false, masks: &masks), row: rect.row(0), ctx: ctx, into: &buf)
        let cols = columns(width: rect.width)
        for (x, c) in cols {
            let text = c.right ? Format.right(c.heading, c.width) : Format.truncate(c.heading, c.width, ellipsis: ctx.g.ellipsis)
            buf.put(text, at: (rect.x + x, rect.y + 1), style: p[.label], maxWidth: c.width)
        }
        let dataRows = rect.height - 2
        guard dataRows > 0 else { return (0, 0, 0) }
        guard !ifaces.isEmpty else {
            let text = s.ifaces.isEmpty ? "no interfaces"
                : "no interface matches \"\(ctx.state.ifaceFilter)\" (/ or f changes the filter, empty for all)"
            buf.put(text, at: (rect.x, rect.y + 2), style: p[.label], maxWidth: rect.width)
            return (0, 0, 0)
        }
        let rows = rows(ifaces, grouped: queueCount(ifaces) > dataRows)
        guard rows.count > dataRows else {
            for (r, row) in rows.enumerated() {
                drawRow(row, ifaces[row.iface], named: row.first, cols: cols, x: rect.x, y: rect.y + 2 + r, masks: &masks,
                        ctx: ctx, into: &buf)
            }
            return (0, 0, 0)
        }
        // Not all fit: a window of rows in the table's order (stable: it does not jump
        // when rates change), and the range in the last row.
        let page = dataRows - 1
        let scrollMax = rows.count - page
        let first = min(max(0, ctx.state.ifaceScroll), scrollMax)
        for r in 0..<page {
            let row = rows[first + r]
            // The top row names its interface even when it continues one from above.
            drawRow(row, ifaces[row.iface], named: row.first || r == 0, cols: cols, x: rect.x, y: rect.y + 2 + r,
                    masks: &masks, ctx: ctx, into: &buf)
        }
        let footer = "rows \(first + 1)-\(first + page) of \(rows.count) · \(ctx.g.upDown) scroll · / filter · s sort"
        buf.put(footer, at: (rect.x, rect.y + 2 + page), style: p[.label], maxWidth: rect.width)
        return (first, page, scrollMax)
    }

    static func drawRow(_ row: Row, _ iface: InterfaceSample, named: Bool, cols: [(x: Int, c: Column)], x: Int, y: Int,
                        masks: inout MaskCache, ctx: Context, into buf: inout Buffer) {
        let p = ctx.p
        func put(_ field: Column.Field, _ text: String, _ style: Style) {
            guard let (cx, c) = cols.first(where: { $0.c.field == field }) else { return }
            if c.right {
                Draw.right(text, at: (x + cx, y), width: c.width, style: style, into: &buf)
            } else {
                buf.put(Format.truncate(text, c.width, ellipsis: ctx.g.ellipsis), at: (x + cx, y), style: style)
            }
        }
        if named {
            let width = cols[0].c.width
            Draw.spans(podSpans(iface, width: width, ctx: ctx), at: (x + cols[0].x, y), maxWidth: width,
                       ellipsis: ctx.g.ellipsis, into: &buf)
            put(.iface, iface.name, p[.text])
            put(.rx, Format.mbit(iface.rxBps), p[.net])
            put(.tx, Format.mbit(iface.txBps), p[.net])
            put(.pps, Format.si(iface.rxPps), p[.net])
        }
        guard let first = row.queues.first else {
            put(.queue, "-", p[.label]); put(.rps, "-", p[.label]); put(.flow, "-", p[.label])
            return
        }
        let q = iface.queues[first], lastQueue = iface.queues[row.queues.upperBound - 1].queue
        put(.queue, "rx-" + Format.number(q.queue) + (row.queues.count > 1 ? ".." + Format.number(lastQueue) : ""), p[.label])
        let (rps, kind) = masks.text(q)
        put(.rps, rps, kind == .cpus ? p[.text] : (kind == .empty ? p[.label] : p[.warn]))
        if let flow = q.rpsFlowCount {
            put(.flow, Format.number(flow), p[.text])
        } else {
            put(.flow, "?", p[.warn])
        }
    }

    static func summary(_ s: Sample, row: Rect, ctx: Context, into buf: inout Buffer) {
        var masks = MaskCache()
        Draw.titleRule(titleSegments(s, ctx: ctx, summary: true, masks: &masks), row: row, ctx: ctx, into: &buf)
    }
}
