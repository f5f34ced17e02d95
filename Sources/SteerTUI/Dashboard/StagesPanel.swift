import SteerKit

/// The stages panel: for each device of the receive path (from kernel tracing,
/// docs/tracing.md), its packets per second and each CPU's share of them, one compact row
/// per device as `steertop trace` prints them:
///
///     ─ Stages 4 · packets per CPU ─────────────────────────────────────
///     namespace/pod              iface            pkt/s  cpu0 cpu1
///     steer-server               eth1             69.8k   40%  60%
///
/// Rows follow the interfaces panel's order (and pod names); devices the interfaces panel
/// does not watch are left out when any are watched. Columns stay where they are from
/// tick to tick, so a new frame changes only the cells whose figures changed.
enum StagesPanel {
    /// Whether the trace panels have anything to say: tracing ran (the state says so)
    /// or the sample says why it did not.
    static func shown(_ s: Sample?, _ st: DashboardState) -> Bool {
        guard let s else { return false }
        return st.traced || s.traceOff != nil || !s.stages.isEmpty || !s.flows.isEmpty
    }

    /// The stages to show, in the interfaces panel's order, named by pod.
    static func ordered(_ s: Sample, _ st: DashboardState) -> [StageRate] {
        let ifaces = InterfacesPanel.ordered(s.ifaces, st)
        var position: [String: Int] = [:]
        for (i, iface) in ifaces.enumerated() { position[iface.netns + "\u{0}" + iface.name] = i }
        let watched = s.stages.filter { position[$0.netns + "\u{0}" + $0.device] != nil }
        guard !watched.isEmpty else { return s.stages }
        return watched.sorted { position[$0.netns + "\u{0}" + $0.device]! < position[$1.netns + "\u{0}" + $1.device]! }
    }

    static func fullHeight(_ s: Sample?, _ st: DashboardState) -> Int {
        guard let s, shown(s, st) else { return 0 }
        if s.traceOff != nil { return 1 }
        return 2 + max(1, ordered(s, st).count)
    }

    static func minHeight(_ s: Sample?, _ st: DashboardState) -> Int {
        min(fullHeight(s, st), 4)
    }

    static func titleSegments(_ s: Sample, _ stages: [StageRate], ctx: Context) -> [Segment] {
        let p = ctx.p
        if let off = s.traceOff {
            return [Segment("Stages and flows", p[.title]), Segment(off, p[.warn])]
        }
        var segs = [Segment("Stages \(stages.count)", p[.title])]
        segs.append(Segment("packets per CPU", p[.text], priority: 2))
        if stages.count < s.stages.count { segs.append(Segment("\(s.stages.count - stages.count) unwatched", p[.label], priority: 3)) }
        if s.stagesLeftOut > 0 { segs.append(Segment("\(s.stagesLeftOut) left out", p[.warn], priority: 1)) }
        return segs
    }

    static func draw(_ s: Sample, in rect: Rect, ctx: Context, into buf: inout Buffer) {
        let p = ctx.p
        let stages = ordered(s, ctx.state)
        Draw.titleRule(titleSegments(s, stages, ctx: ctx), row: rect.row(0), ctx: ctx, into: &buf)
        guard rect.height > 1 else { return }
        let cols = InterfacesPanel.columns(width: rect.width)
        let podWidth = cols[0].c.width, ifaceX = cols[1].x, ifaceWidth = cols[1].c.width
        let ppsX = cols[2].x, ppsWidth = 7
        let cpuX = ppsX + ppsWidth + 1
        let cpus = stages.map(\.pps.count).max() ?? 0
        let shares = CPUShares(cpus: cpus, x: cpuX, width: rect.right - rect.x - cpuX)
        buf.put("namespace/pod", at: (rect.x, rect.y + 1), style: p[.label], maxWidth: podWidth)
        buf.put("iface", at: (rect.x + ifaceX, rect.y + 1), style: p[.label], maxWidth: ifaceWidth)
        Draw.right("pkt/s", at: (rect.x + ppsX, rect.y + 1), width: ppsWidth, style: p[.label], into: &buf)
        shares.heading(at: rect.x, y: rect.y + 1, ctx: ctx, into: &buf)
        let rows = rect.height - 2
        guard rows > 0 else { return }
        guard !stages.isEmpty else {
            buf.put("no packets received this tick", at: (rect.x, rect.y + 2), style: p[.label], maxWidth: rect.width)
            return
        }
        let shown = stages.count > rows ? rows - 1 : stages.count
        for (r, stage) in stages.prefix(shown).enumerated() {
            let y = rect.y + 2 + r
            let iface = InterfaceSample(name: stage.device, netns: stage.netns)
            Draw.spans(InterfacesPanel.podSpans(iface, width: podWidth, ctx: ctx), at: (rect.x, y), maxWidth: podWidth,
                       ellipsis: ctx.g.ellipsis, into: &buf)
            buf.put(Format.truncate(stage.device, ifaceWidth, ellipsis: ctx.g.ellipsis), at: (rect.x + ifaceX, y), style: p[.text])
            Draw.right(Format.si(stage.totalPps), at: (rect.x + ppsX, y), width: ppsWidth, style: p[.net], into: &buf)
            shares.row(stage.shares, at: rect.x, y: y, ctx: ctx, into: &buf)
        }
        if shown < stages.count {
            buf.put("+\(stages.count - shown) more", at: (rect.x, rect.y + 2 + shown), style: p[.label], maxWidth: rect.width)
        }
    }

    static func summary(_ s: Sample, row: Rect, ctx: Context, into buf: inout Buffer) {
        var segs = titleSegments(s, ordered(s, ctx.state), ctx: ctx)
        if s.traceOff == nil {
            let spread = s.stages.filter { $0.shares.filter { $0 > 0.05 }.count > 1 }.count
            segs.append(Segment("\(spread) on more than one CPU", ctx.p[.text], priority: 1))
        }
        Draw.titleRule(segs, row: row, ctx: ctx, into: &buf)
    }
}

/// Per-CPU shares in a row: a column per CPU ("cpu0  40%") where they fit, else the
/// busiest CPUs as "3:41% 7:30% +5". The columns stay put from tick to tick.
struct CPUShares {
    let cpus: Int
    let x: Int
    let width: Int
    /// A column per CPU: 5 cells each ("cpu12" / " 100%").
    var columns: Bool { cpus > 0 && cpus * 5 <= width }

    func heading(at left: Int, y: Int, ctx: Context, into buf: inout Buffer) {
        guard width > 0 else { return }
        if columns {
            for c in 0..<cpus {
                Draw.right(c < 100 ? "cpu\(c)" : String(c), at: (left + x + c * 5, y), width: 5, style: ctx.p[.label], into: &buf)
            }
        } else {
            buf.put("cpu:share", at: (left + x + 1, y), style: ctx.p[.label], maxWidth: width - 1)
        }
    }

    func row(_ shares: [Double], at left: Int, y: Int, highlight: Int? = nil, ctx: Context, into buf: inout Buffer) {
        guard width > 0 else { return }
        let p = ctx.p
        if columns {
            for (c, share) in shares.prefix(cpus).enumerated() {
                let style = c == highlight ? p[.ok] : (share > 0 ? p[.text] : p[.label])
                Draw.right(Format.percent(share * 100, suffix: 0x25), at: (left + x + c * 5, y), width: 5, style: style, into: &buf)
            }
            return
        }
        let busiest = shares.indices.filter { shares[$0] > 0 }.sorted { (shares[$0], -$0) > (shares[$1], -$1) }
        var spans: [Span] = []
        var used = 1
        for (i, c) in busiest.enumerated() {
            let text = "\(c):" + Format.percent(shares[c] * 100, suffix: 0x25)
            let rest = busiest.count - i - 1
            let more = rest > 0 ? Format.width(" +\(rest)") : 0
            if used + Format.width(text) + 1 + more > width {
                spans.append(Span("+\(busiest.count - i)", p[.label]))
                break
            }
            spans.append(Span(text + " ", c == highlight ? p[.ok] : p[.text]))
            used += Format.width(text) + 1
        }
        Draw.spans(spans, at: (left + x + 1, y), maxWidth: width - 1, ellipsis: ctx.g.ellipsis, into: &buf)
    }
}
