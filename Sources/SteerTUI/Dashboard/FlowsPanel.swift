import SteerKit

/// The flows panel: for each TCP flow received (from kernel tracing, docs/tracing.md),
/// where TCP processed its segments, the CPU its reader last ran on and its locality,
/// the share of its segments processed on the reader's CPU:
///
///     ─ Flows 4 · locality 0.98 ────────────────────────────────────────────
///     namespace/pod     receiver ← sender               seg/s cpu0 cpu1 reader local
///     steer-server-pod1 10.66.2.11:5201 ← 10.66.1.11:5800  423k 100%   0%   cpu0  1.00
///
/// A flow that carries an iperf3 stream is named by it first ("pod1/t1/7 10.66.2.11:5201
/// ← …"). Flows read by a process come first (the iperf3 streams), then by rate; the rows
/// shown are then put in a stable order (namespace, endpoints), so that a row does not
/// move when rates change. Flows of namespaces the interfaces panel does not watch are
/// left out when any are watched.
enum FlowsPanel {
    static func ordered(_ s: Sample, _ st: DashboardState) -> [FlowRate] {
        let watched = Set(s.ifaces.map(\.netns))
        let mine = s.flows.filter { watched.contains($0.netns) }
        let flows = mine.isEmpty ? s.flows : mine
        return flows.enumerated().sorted { a, b in
            let ra = a.element.readerCPU != nil, rb = b.element.readerCPU != nil
            if ra != rb { return ra }
            return (a.element.bps, -a.offset) > (b.element.bps, -b.offset)
        }.map(\.element)
    }

    static func fullHeight(_ s: Sample?, _ st: DashboardState) -> Int {
        guard let s, StagesPanel.shown(s, st), s.traceOff == nil else { return 0 }
        return 2 + max(1, ordered(s, st).count)
    }

    static func minHeight(_ s: Sample?, _ st: DashboardState) -> Int { min(fullHeight(s, st), 4) }

    static func titleSegments(_ s: Sample, _ flows: [FlowRate], ctx: Context) -> [Segment] {
        let p = ctx.p
        var segs = [Segment("Flows \(flows.count)", p[.title])]
        if let l = s.meanLocality {
            segs.append(Segment("locality " + Format.fixed(l, 2), p[.ok]))
        }
        segs.append(Segment("TCP receive CPUs · reader's CPU", p[.text], priority: 3))
        if s.flowsLeftOut > 0 { segs.append(Segment("\(s.flowsLeftOut) left out", p[.warn], priority: 1)) }
        return segs
    }

    /// Column x offsets and widths for a panel `width` wide with `cpus` CPUs.
    struct Columns {
        var pod: (x: Int, w: Int)
        var flow: (x: Int, w: Int)
        var seg: (x: Int, w: Int)
        var shares: CPUShares
        var reader: (x: Int, w: Int)
        var local: (x: Int, w: Int)

        init(width: Int, cpus: Int) {
            let sharesWidth = cpus > 0 && cpus * 5 <= 30 ? cpus * 5 : 16
            local = (width - 5, 5)
            reader = (local.x - 7, 6)
            let sharesX = reader.x - sharesWidth - 1
            shares = CPUShares(cpus: cpus, x: sharesX, width: sharesWidth)
            seg = (sharesX - 6, 6)
            let rest = max(0, seg.x - 1)
            let podW = min(24, max(4, rest / 3))
            pod = (0, podW)
            flow = (podW + 1, max(0, rest - podW - 1))
        }
    }

    static func draw(_ s: Sample, in rect: Rect, ctx: Context, into buf: inout Buffer) {
        let p = ctx.p
        let flows = ordered(s, ctx.state)
        Draw.titleRule(titleSegments(s, flows, ctx: ctx), row: rect.row(0), ctx: ctx, into: &buf)
        guard rect.height > 1 else { return }
        let cpus = flows.map(\.segments.count).max() ?? 0
        let c = Columns(width: rect.width, cpus: cpus)
        let y0 = rect.y + 1
        buf.put("namespace/pod", at: (rect.x + c.pod.x, y0), style: p[.label], maxWidth: c.pod.w)
        buf.put("receiver " + arrow(ctx) + " sender", at: (rect.x + c.flow.x, y0), style: p[.label], maxWidth: c.flow.w)
        Draw.right("seg/s", at: (rect.x + c.seg.x, y0), width: c.seg.w, style: p[.label], into: &buf)
        c.shares.heading(at: rect.x, y: y0, ctx: ctx, into: &buf)
        Draw.right("reader", at: (rect.x + c.reader.x, y0), width: c.reader.w, style: p[.label], into: &buf)
        Draw.right("local", at: (rect.x + c.local.x, y0), width: c.local.w, style: p[.label], into: &buf)
        let rows = rect.height - 2
        guard rows > 0 else { return }
        guard !flows.isEmpty else {
            buf.put("no TCP segments received this tick", at: (rect.x, y0 + 1), style: p[.label], maxWidth: rect.width)
            return
        }
        let count = flows.count > rows ? rows - 1 : flows.count
        // The busiest flows are chosen; they are shown in a stable order.
        let shown = flows.prefix(count).sorted { ($0.netns, $0.local, $0.remote) < ($1.netns, $1.local, $1.remote) }
        for (r, f) in shown.enumerated() {
            let y = y0 + 1 + r
            let iface = InterfaceSample(name: "", netns: f.netns)
            Draw.spans(InterfacesPanel.podSpans(iface, width: c.pod.w, ctx: ctx), at: (rect.x + c.pod.x, y), maxWidth: c.pod.w,
                       ellipsis: ctx.g.ellipsis, into: &buf)
            // A flow that carries an iperf3 stream starts with the stream's name, as the
            // throughput panel shows it.
            let endpoints = f.local + " " + arrow(ctx) + " " + f.remote
            buf.put(Format.truncate(f.stream.map { $0 + " " + endpoints } ?? endpoints, c.flow.w, ellipsis: ctx.g.ellipsis),
                    at: (rect.x + c.flow.x, y), style: p[.text])
            Draw.right(Format.si(f.totalSegments), at: (rect.x + c.seg.x, y), width: c.seg.w, style: p[.net], into: &buf)
            c.shares.row(f.shares, at: rect.x, y: y, highlight: f.readerCPU, ctx: ctx, into: &buf)
            let reader = f.readerCPU.map { "cpu" + Format.number($0) } ?? "-"
            Draw.right(reader, at: (rect.x + c.reader.x, y), width: c.reader.w, style: f.readerCPU == nil ? p[.label] : p[.text], into: &buf)
            let local = f.locality.map { Format.fixed($0, 2) } ?? "-"
            Draw.right(local, at: (rect.x + c.local.x, y), width: c.local.w, style: f.locality == nil ? p[.label] : p[.ok], into: &buf)
        }
        if count < flows.count {
            buf.put("+\(flows.count - count) more", at: (rect.x, y0 + 1 + count), style: p[.label], maxWidth: rect.width)
        }
    }

    /// "←" (or "<-" in ASCII): the receiver is on the left.
    static func arrow(_ ctx: Context) -> String {
        String(ctx.g.leftRight.split(separator: "/").first ?? "<-")
    }

    static func summary(_ s: Sample, row: Rect, ctx: Context, into buf: inout Buffer) {
        Draw.titleRule(titleSegments(s, ordered(s, ctx.state), ctx: ctx), row: row, ctx: ctx, into: &buf)
    }
}
