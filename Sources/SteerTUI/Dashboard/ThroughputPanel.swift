import SteerKit

/// iperf3 throughput: one row per stream with a bar (stale and failed ones dimmed, with the
/// reason), the total, and a chart of the total's history beside them.
enum ThroughputPanel {

    static func fullHeight(_ streams: [StreamRate]) -> Int { streams.isEmpty ? 2 : streams.count + 2 }
    static func minHeight(_ streams: [StreamRate]) -> Int { streams.isEmpty ? 2 : 1 + min(streams.count + 1, 3) }

    static func titleSegments(_ state: DashboardState, ctx: Context, summary: Bool) -> [Segment] {
        let p = ctx.p
        let streams = state.streams
        var segs = [Segment("Throughput", p[.title])]
        if let total = state.sample?.totalBps {
            segs.append(Segment(spans: [Span("total ", p[.label]), Span(Format.bitRate(total), p[.stream].adding(.bold))]))
        } else if summary {
            segs.append(Segment("no iperf3 streams", p[.label]))
        }
        if !streams.isEmpty {
            segs.append(Segment("\(streams.count) stream\(streams.count == 1 ? "" : "s")", p[.text], priority: 2))
        }
        let stale = streams.filter { $0.state == "stale" }.count
        let failed = streams.filter { $0.state != nil && $0.state != "stale" }.count
        if stale > 0 { segs.append(Segment("\(stale) stale", p[.warn], priority: 1)) }
        if failed > 0 { segs.append(Segment("\(failed) failed", p[.error], priority: 1)) }
        return segs
    }

    /// Left: a row per stream (its rate in the column's one unit and a bar of its share of
    /// the fastest stream), the total last. Right: a chart of the total over time with a
    /// zoomed y-axis (labels at the top and bottom), and from 4 rows on a time axis with
    /// the mode changes marked where they happened.
    static func draw(_ state: DashboardState, in rect: Rect, ctx: Context, into buf: inout Buffer) {
        let p = ctx.p
        let listWidth = min(44, rect.width / 2)
        let content = rect.height - 1
        let chartX = rect.x + listWidth + 1
        let labelWidth = 11
        let axis = content >= 4
        let plot = Rect(x: chartX + labelWidth, y: rect.y + 1, width: max(0, rect.right - chartX - labelWidth),
                        height: max(0, content - (axis ? 1 : 0)))
        var segs = titleSegments(state, ctx: ctx, summary: false)
        let columns = Columns(state, width: plot.width)
        if let peak = columns.peak, peak > 0 {
            segs.append(Segment("max \(Format.bitRate(peak))", p[.label], priority: 3))
        }
        if columns.perColumn > 1 {
            segs.append(Segment("chart \(Format.trimmed(Double(columns.perColumn) * state.interval))s a column", p[.label], priority: 4))
        }
        Draw.titleRule(segs, row: rect.row(0), ctx: ctx, into: &buf)
        guard content > 0 else { return }
        chart(columns, plot: plot, labelX: chartX, axis: axis ? rect.y + rect.height - 1 : nil, ctx: ctx, into: &buf)

        let streams = state.streams
        if streams.isEmpty {
            buf.put("no iperf3 streams", at: (rect.x, rect.y + 1), style: p[.label], maxWidth: listWidth)
            return
        }
        let total = state.sample?.totalBps
        let unit = max(total ?? 0, streams.map(\.bps).max() ?? 0)
        let fastest = streams.filter { $0.state == nil }.map(\.bps).max() ?? 0
        let idWidth = max(6, min(listWidth - 22, streams.map { Format.width($0.id) }.max() ?? 0, 16))
        let barX = rect.x + idWidth + 12
        // A gap of two before the chart's labels, so a bar does not run into them.
        let barWidth = min(20, listWidth - idWidth - 14)
        let room = content - 1  // the last row is the total
        let shown = streams.count > room ? max(0, room - 1) : streams.count
        for i in 0..<shown {
            let s = streams[i]
            let y = rect.y + 1 + i
            let bad = s.state != nil
            let style = bad ? p[.stale] : p[.stream]
            buf.put(Format.truncate(s.id, idWidth, ellipsis: ctx.g.ellipsis), at: (rect.x, y), style: bad ? p[.stale] : p[.text])
            buf.put(Format.right(Format.bitRate(s.bps, as: unit), 10), at: (rect.x + idWidth + 1, y), style: style)
            if let reason = s.state {
                let text = Format.truncate(reason, barWidth, ellipsis: ctx.g.ellipsis)
                buf.put(text, at: (barX, y), style: reason == "stale" ? p[.stale] : p[.error].adding(.dim))
            } else if barWidth > 0 && fastest > 0 {
                bar(s.bps / fastest, at: (barX, y), width: barWidth, style: p[.stream], glyphs: ctx.g, into: &buf)
            }
        }
        if shown < streams.count && room > 0 {
            buf.put("+\(streams.count - shown) more streams", at: (rect.x, rect.y + 1 + shown), style: p[.label], maxWidth: listWidth)
        }
        let y = rect.y + content
        buf.put("total", at: (rect.x, y), style: p[.label])
        buf.put(Format.right(total.map { Format.bitRate($0, as: unit) } ?? "-", 10), at: (rect.x + idWidth + 1, y),
                style: p[.stream].adding(.bold))
    }

    /// The chart spans at least this many seconds, so that it holds a mode's run and the
    /// one before it: where the plot is narrower, a column is the mean of several samples.
    static let minimumSpan = 120.0

    /// The chart's columns: the mean of `perColumn` samples each, aligned on tick numbers
    /// (a column keeps its samples as new ones arrive, so the chart shifts once every
    /// `perColumn` ticks and only its newest column changes in between), the newest last.
    struct Columns {
        var values: [Double] = []
        /// Mode changes: the column of the first value in the new mode.
        var marks: [(column: Int, mode: ObservedMode)] = []
        var perColumn = 1
        /// Seconds the plot spans when full: the time axis' scale, fixed while it fills.
        var span = 0.0
        /// The highest single sample the columns hold.
        var peak: Double?

        init(_ state: DashboardState, width: Int) {
            let history = state.throughputHistory
            guard width > 0, !history.isEmpty else { return }
            perColumn = ThroughputPanel.samplesPerColumn(width: width, interval: state.interval)
            let k = perColumn, first = state.throughputFirstTick, n = history.count
            let last = (first + n - 1) / k
            let firstColumn = max(first / k, last - width + 1)
            let start = max(0, firstColumn * k - first)
            for c in firstColumn...last {
                let slice = history[max(start, c * k - first)..<min(n, (c + 1) * k - first)]
                let seen = slice.filter(\.isFinite)
                values.append(seen.isEmpty ? 0 : seen.reduce(0, +) / Double(seen.count))
            }
            span = Double(width * k) * state.interval
            peak = history[start...].filter(\.isFinite).max()
            for m in state.modeMarks where m.index >= start && m.index < n {
                marks.append(((first + m.index) / k - firstColumn, m.mode))
            }
        }
    }

    /// Samples a column holds: enough for the chart to span `minimumSpan` seconds.
    static func samplesPerColumn(width: Int, interval: Double) -> Int {
        guard width > 0, interval > 0, interval.isFinite else { return 1 }
        return max(1, Int((minimumSpan / (Double(width) * interval)).rounded(.up)))
    }

    /// The total's chart: zoomed to the range of what it shows (a 10% change between modes
    /// fills rows, not one), labelled at the top and the bottom, with the time axis below.
    static func chart(_ columns: Columns, plot: Rect, labelX: Int, axis: Int?, ctx: Context, into buf: inout Buffer) {
        let p = ctx.p
        let window = columns.values
        guard plot.width > 0, plot.height > 0 else { return }
        let seen = window.filter { $0.isFinite && $0 > 0 }
        if let lo = seen.min(), let hi = seen.max() {
            // Zoomed to the range shown, padded, and rounded out to steps of 1, 2 or 5: the
            // range holds still from tick to tick (a rescale redraws every cell, and costs
            // bytes over SSH) and the labels read as round figures.
            let pad = max((hi - lo) * 0.1, hi * 0.02)
            let step = niceStep((hi - lo + 2 * pad) / 4)
            let floor = max(0, ((lo - pad) / step).rounded(.down) * step)
            let ceiling = ((hi + pad) / step).rounded(.up) * step
            Draw.sparkline(window, in: plot, floor: floor, ceiling: ceiling, style: p[.sparkline], glyphs: ctx.g, into: &buf)
            let width = plot.x - labelX - 1
            Draw.right(Format.bitRate(ceiling), at: (labelX, plot.y), width: width, style: p[.label], into: &buf)
            if plot.height >= 2 {
                Draw.right(Format.bitRate(floor), at: (labelX, plot.bottom - 1), width: width, style: p[.label], into: &buf)
            }
        }
        guard let y = axis, !window.isEmpty else { return }
        buf.fill(Rect(x: plot.x, y: y, width: plot.width, height: 1), ctx.g.horizontal, style: p[.border])
        if columns.span > 0 {
            Draw.right("-\(Format.trimmed(columns.span))s", at: (labelX, y), width: plot.x - labelX - 1, style: p[.label], into: &buf)
        }
        // The chart is right-aligned: column k is at plot.right - count + k.
        let start = plot.right - window.count
        for m in columns.marks {
            let x = start + m.column
            guard x >= plot.x, x < plot.right else { continue }
            buf[x, y] = Cell(ctx.g.axisMark, style: p[.mode])
            buf.put(m.mode.name, at: (x + 1, y), style: p[.mode], maxWidth: plot.right - x - 1)
            for row in plot.y..<plot.bottom where buf[x, row].scalar == " " {
                buf[x, row] = Cell(ctx.g.vertical, style: p[.border])
            }
        }
    }

    /// 1, 2 or 5 times a power of ten, the smallest at least `x`.
    static func niceStep(_ x: Double) -> Double {
        guard x.isFinite, x > 0 else { return 1 }
        var p = 1.0
        while p * 10 <= x { p *= 10 }
        while p > x { p /= 10 }
        for m in [1.0, 2, 5, 10] where m * p >= x { return m * p }
        return 10 * p
    }

    /// A horizontal bar of `fraction` (0…1) of `width` cells, in eighths.
    static func bar(_ fraction: Double, at p: (x: Int, y: Int), width: Int, style: Style, glyphs: Glyphs, into buf: inout Buffer) {
        let eighths = Int((min(max(fraction, 0), 1) * Double(width * 8)).rounded())
        for i in 0..<width {
            let n = min(8, max(0, eighths - i * 8))
            if n == 0 { break }
            buf[p.x + i, p.y] = Cell(glyphs.barEighths[n], style: style)
        }
    }

    /// The collapsed panel: the title's figures and a one-row sparkline in the rest of the row.
    static func summary(_ state: DashboardState, row: Rect, ctx: Context, into buf: inout Buffer) {
        let segs = Draw.fit(titleSegments(state, ctx: ctx, summary: true), width: row.width - 4 - 12,
                            separatorWidth: Format.width(ctx.g.separator))
        let used = Draw.width(segs, separatorWidth: Format.width(ctx.g.separator))
        let limit = min(row.right, row.x + used + 4)
        Draw.titleRule(segs, row: row, limit: limit, ctx: ctx, into: &buf)
        let spark = Rect(x: limit, y: row.y, width: row.right - limit - 1, height: 1)
        Draw.sparkline(state.throughputHistory, in: spark, style: ctx.p[.sparkline], glyphs: ctx.g, into: &buf)
    }
}
