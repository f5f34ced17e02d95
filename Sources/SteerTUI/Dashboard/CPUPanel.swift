import SteerKit

/// One core's figures for a frame.
struct CPUFigures {
    var id: Int
    /// Bar segments in percent. usr holds nice and guest time too and sys holds steal, so
    /// that the bar is as long as `busy` says.
    var usr: Double, sys: Double, irq: Double, soft: Double
    var busy: Double
    var idle: Double
    var netRX: Double
    var drops: Double
    var squeeze: Double

    static func from(_ s: Sample) -> [CPUFigures] {
        var out: [CPUFigures] = []
        out.reserveCapacity(s.cpus.count)
        for (i, c) in s.cpus.enumerated() {
            var rates: SoftnetRates?
            if i < s.softnet.count && s.softnet[i].cpu == c.cpu {
                rates = s.softnet[i]
            } else {
                rates = s.softnet.first { $0.cpu == c.cpu }
            }
            out.append(CPUFigures(
                id: c.cpu, usr: c.usr + c.nice + c.guest + c.gnice, sys: c.sys + c.steal, irq: c.irq, soft: c.soft,
                busy: c.busy, idle: c.idle, netRX: i < s.netRX.count ? s.netRX[i] : 0,
                drops: rates?.dropped ?? 0, squeeze: rates?.timeSqueeze ?? 0))
        }
        return out
    }

    /// "soft": the segment with the largest share.
    var dominant: String {
        var name = "usr", v = usr
        if sys > v { name = "sys"; v = sys }
        if irq > v { name = "irq"; v = irq }
        if soft > v { name = "soft" }
        return name
    }
}

/// Per-core stacked bars. Layouts, from the roomiest: one core a row with every figure
/// (detailed); k cores a row in compact cells; compact cells at the most columns with a
/// scrolling window and the range shown in the title; a one-line summary.
enum CPUPanel {
    struct Plan: Equatable {
        var detailed: Bool
        var columns: Int
        /// Content rows (the title row not counted).
        var rows: Int
        var barWidth: Int
        /// Label width (digits of the largest CPU id).
        var labelWidth: Int
        var height: Int { rows + 1 }
    }

    static let gap = 2
    static let minCompactBar = 6
    static let maxBar = 100
    /// Detailed row: label, bar, then busy usr sys irq soft NET_RX/s drop/s sqz/s.
    static let detailedFixed = 51
    /// Compact cell: label, bar, busy%, NET_RX/s, flag.
    static let compactFixed = 14

    static func labelWidth(_ figs: [CPUFigures]) -> Int {
        Format.digits(figs.map(\.id).max() ?? 0)
    }

    static func maxColumns(width: Int, labelWidth lw: Int) -> Int {
        max(1, (width + gap) / (lw + minCompactBar + compactFixed + gap))
    }

    static func compact(columns k: Int, rows: Int, width: Int, labelWidth lw: Int) -> Plan {
        let cell = (width - (k - 1) * gap) / k
        return Plan(detailed: false, columns: k, rows: rows, barWidth: min(maxBar, cell - lw - compactFixed), labelWidth: lw)
    }

    /// The layouts that show every core, tallest first (each shorter than the one before).
    static func ladder(count n: Int, width: Int, labelWidth lw: Int) -> [Plan] {
        guard n > 0 else { return [] }
        var plans: [Plan] = []
        let detailedBar = min(maxBar, width - lw - detailedFixed)
        if detailedBar >= 10 {
            plans.append(Plan(detailed: true, columns: 1, rows: n, barWidth: detailedBar, labelWidth: lw))
        }
        for k in 1...maxColumns(width: width, labelWidth: lw) {
            let rows = (n + k - 1) / k
            if let last = plans.last, last.rows <= rows { continue }
            plans.append(compact(columns: k, rows: rows, width: width, labelWidth: lw))
        }
        return plans
    }

    /// The layout for a panel `height` rows high (title included).
    static func plan(height: Int, count n: Int, width: Int, labelWidth lw: Int) -> Plan {
        let plans = ladder(count: n, width: width, labelWidth: lw)
        if let p = plans.first(where: { $0.height <= height }) { return p }
        return compact(columns: maxColumns(width: width, labelWidth: lw), rows: max(1, height - 1), width: width, labelWidth: lw)
    }

    struct Window { var first: Int; var page: Int; var scrollMax: Int }

    /// Draws the panel in `rect` (height >= 2); returns the window of cores shown.
    static func draw(_ figs: [CPUFigures], in rect: Rect, ctx: Context, into buf: inout Buffer) -> Window {
        let p = ctx.p
        guard !figs.isEmpty else {
            Draw.titleRule([Segment("CPU", p[.title])], row: rect.row(0), ctx: ctx, into: &buf)
            buf.put("waiting for the first sample", at: (rect.x + 2, rect.y + 1), style: p[.label], maxWidth: rect.width - 2)
            return Window(first: 0, page: 0, scrollMax: 0)
        }
        let lw = labelWidth(figs)
        let plan = plan(height: rect.height, count: figs.count, width: rect.width, labelWidth: lw)
        let totalRows = (figs.count + plan.columns - 1) / plan.columns
        let maxFirstRow = max(0, totalRows - plan.rows)
        let firstRow = min(maxFirstRow, max(0, ctx.state.cpuScroll / plan.columns))
        let first = firstRow * plan.columns
        let shown = min(figs.count - first, plan.rows * plan.columns)
        let window = Window(first: first, page: maxFirstRow > 0 ? plan.rows * plan.columns : 0,
                            scrollMax: maxFirstRow * plan.columns)

        // Title.
        var segs = [Segment("CPU \(figs.count)", p[.title])]
        if window.page > 0 {
            segs.append(Segment("cpus \(figs[first].id)-\(figs[first + shown - 1].id) of \(figs.count), PgUp/PgDn",
                                p[.text], priority: 1))
        }
        segs += summarySegments(figs, ctx: ctx, count: false)
        if !plan.detailed {
            segs.append(Segment("% busy, NET_RX/s, D drops, S squeeze", p[.label], priority: 5))
        }
        segs.append(legend(ctx))
        let bx = rect.x + plan.labelWidth + 1 + plan.barWidth + 1
        Draw.titleRule(segs, row: rect.row(0), limit: plan.detailed ? bx - 1 : nil, ctx: ctx, into: &buf)

        if plan.detailed {
            // Headings over the number columns, on a blank stretch of the title row.
            buf.fill(Rect(x: bx - 1, y: rect.y, width: rect.right - bx + 1, height: 1), " ", style: p[.border])
            let headings: [(String, Int, Int)] = [
                ("busy", 0, 4), ("usr", 5, 4), ("sys", 10, 4), ("irq", 15, 4), ("soft", 20, 4),
                ("NET_RX/s", 25, 8), ("drop/s", 34, 7), ("sqz/s", 42, 7),
            ]
            // usr sys irq soft in their segments' colours: the bar's key. The figures under
            // them are in one colour, so a row's changed figures go out as one run (a colour
            // switch per figure was a third of the panel's bytes over SSH).
            for (i, (h, dx, w)) in headings.enumerated() {
                let style = (1...4).contains(i) && !ctx.monoBars ? ctx.segmentStyles[i - 1] : p[.label]
                Draw.right(h, at: (bx + dx, rect.y), width: w, style: style, into: &buf)
            }
        }

        for i in 0..<shown {
            let f = figs[first + i]
            let row = i / plan.columns, col = i % plan.columns
            let y = rect.y + 1 + row
            if plan.detailed {
                detailedRow(f, plan: plan, x: rect.x, y: y, ctx: ctx, into: &buf)
            } else {
                let cellWidth = plan.labelWidth + plan.barWidth + compactFixed
                compactCell(f, plan: plan, x: rect.x + col * (cellWidth + gap), y: y, ctx: ctx, into: &buf)
            }
        }
        return window
    }

    static func detailedRow(_ f: CPUFigures, plan: Plan, x: Int, y: Int, ctx: Context, into buf: inout Buffer) {
        let p = ctx.p
        Draw.right(Format.number(f.id), at: (x, y), width: plan.labelWidth, style: p[.label], into: &buf)
        Draw.cpuBar((f.usr, f.sys, f.irq, f.soft), at: (x + plan.labelWidth + 1, y), width: plan.barWidth, ctx: ctx, into: &buf)
        let bx = x + plan.labelWidth + plan.barWidth + 2
        Draw.right(Format.percent(f.busy), at: (bx, y), width: 4, style: p[.text], into: &buf)
        Draw.right(Format.percent(f.usr), at: (bx + 5, y), width: 4, style: p[.text], into: &buf)
        Draw.right(Format.percent(f.sys), at: (bx + 10, y), width: 4, style: p[.text], into: &buf)
        Draw.right(Format.percent(f.irq), at: (bx + 15, y), width: 4, style: p[.text], into: &buf)
        Draw.right(Format.percent(f.soft), at: (bx + 20, y), width: 4, style: p[.text], into: &buf)
        Draw.right(Format.si(f.netRX), at: (bx + 25, y), width: 8, style: p[.net], into: &buf)
        Draw.right(Format.si(f.drops), at: (bx + 34, y), width: 7, style: f.drops > 0 ? p[.drop] : p[.label], into: &buf)
        Draw.right(Format.si(f.squeeze), at: (bx + 42, y), width: 7, style: f.squeeze > 0 ? p[.squeeze] : p[.label], into: &buf)
    }

    static func compactCell(_ f: CPUFigures, plan: Plan, x: Int, y: Int, ctx: Context, into buf: inout Buffer) {
        let p = ctx.p
        Draw.right(Format.number(f.id), at: (x, y), width: plan.labelWidth, style: p[.label], into: &buf)
        Draw.cpuBar((f.usr, f.sys, f.irq, f.soft), at: (x + plan.labelWidth + 1, y), width: plan.barWidth, ctx: ctx, into: &buf)
        let bx = x + plan.labelWidth + plan.barWidth + 2
        Draw.right(Format.percent(f.busy, suffix: 0x25), at: (bx, y), width: 4, style: p[.text], into: &buf)
        Draw.right(Format.si(f.netRX), at: (bx + 5, y), width: 5, style: p[.net], into: &buf)
        if f.drops > 0 {
            buf.put("D", at: (bx + 11, y), style: p[.drop])
        } else if f.squeeze > 0 {
            buf.put("S", at: (bx + 11, y), style: p[.squeeze])
        }
    }

    /// "usr sys irq soft", each in its colour (the bar's key).
    static func legend(_ ctx: Context) -> Segment {
        let names = ["usr", "sys", "irq", "soft"]
        var spans: [Span] = []
        for (i, n) in names.enumerated() {
            if i > 0 { spans.append(Span(" ", ctx.p[.border])) }
            if ctx.monoBars {
                spans.append(Span(String(ctx.g.segmentFills[i]) + n, ctx.segmentStyles[i]))
            } else {
                spans.append(Span(n, ctx.segmentStyles[i]))
            }
        }
        return Segment(spans: spans, priority: 4)
    }

    /// busiest core, average idle, drops and squeezes.
    static func summarySegments(_ figs: [CPUFigures], ctx: Context, count: Bool) -> [Segment] {
        let p = ctx.p
        var segs: [Segment] = []
        if count { segs.append(Segment("CPU \(figs.count) cores", p[.title])) }
        guard !figs.isEmpty else { return segs }
        var busiest = figs[0]
        var idle = 0.0
        var dropping = 0, squeezed = 0
        for f in figs {
            if f.busy > busiest.busy { busiest = f }
            idle += f.idle
            if f.drops > 0 { dropping += 1 }
            if f.squeeze > 0 { squeezed += 1 }
        }
        segs.append(Segment("busiest cpu\(busiest.id) \(Format.percent(busiest.busy))% \(busiest.dominant)", p[.text], priority: 2))
        segs.append(Segment("avg idle \(Format.percent(idle / Double(figs.count)))%", p[.text], priority: 2))
        if ctx.state.pressure.isEmpty {
            if dropping > 0 { segs.append(Segment("drops on \(dropping) cpu\(dropping == 1 ? "" : "s")", p[.drop], priority: 1)) }
            if squeezed > 0 { segs.append(Segment("squeeze on \(squeezed) cpu\(squeezed == 1 ? "" : "s")", p[.squeeze], priority: 3)) }
        } else {
            // Named for a minute after it happened: "drops cpu3 now, cpu5 12s ago".
            for (kind, word, role, priority) in [(Pressure.Kind.drops, "drops", Role.drop, 1), (.squeeze, "squeeze", .squeeze, 3)] {
                let hits = ctx.state.pressure.filter { $0.kind == kind }
                guard !hits.isEmpty else { continue }
                var text = word + " " + hits.prefix(3).map { h in
                    "cpu\(h.cpu) " + (h.secondsAgo < 0.5 ? "now" : "\(Format.trimmed(h.secondsAgo.rounded()))s ago")
                }.joined(separator: ", ")
                if hits.count > 3 { text += " +\(hits.count - 3)" }
                segs.append(Segment(text, p[role], priority: priority))
            }
        }
        return segs
    }

    /// The collapsed panel: one title row with the summary.
    static func summary(_ figs: [CPUFigures], row: Rect, ctx: Context, into buf: inout Buffer) {
        var segs = summarySegments(figs, ctx: ctx, count: true)
        if figs.isEmpty { segs = [Segment("CPU", ctx.p[.title]), Segment("waiting for the first sample", ctx.p[.label])] }
        Draw.titleRule(segs, row: row, ctx: ctx, into: &buf)
    }
}
