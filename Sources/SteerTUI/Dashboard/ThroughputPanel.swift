import SteerKit

/// iperf3 throughput: one row per stream (stale and failed ones dimmed, with the reason),
/// the total, and a sparkline of the total's history beside them.
enum ThroughputPanel {
    static let growth = 8

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

    static func draw(_ state: DashboardState, in rect: Rect, ctx: Context, into buf: inout Buffer) {
        let p = ctx.p
        let listWidth = min(44, rect.width / 2)
        let spark = Rect(x: rect.x + listWidth + 1, y: rect.y + 1, width: rect.width - listWidth - 1, height: rect.height - 1)
        var segs = titleSegments(state, ctx: ctx, summary: false)
        let window = state.throughputHistory.suffix(spark.width)
        if let peak = window.max(), peak > 0 {
            let span = Format.trimmed(Double(window.count) * state.interval)
            segs.append(Segment("max \(Format.bitRate(peak)) over \(span)s", p[.label], priority: 3))
        }
        Draw.titleRule(segs, row: rect.row(0), ctx: ctx, into: &buf)
        Draw.sparkline(Array(window), in: spark, style: p[.sparkline], glyphs: ctx.g, into: &buf)

        let content = rect.height - 1
        guard content > 0 else { return }
        let streams = state.streams
        if streams.isEmpty {
            buf.put("no iperf3 streams", at: (rect.x, rect.y + 1), style: p[.label], maxWidth: listWidth)
            return
        }
        let idWidth = max(6, min(listWidth - 22, streams.map { Format.width($0.id) }.max() ?? 0, 16))
        let room = content - 1  // the last row is the total
        let shown = streams.count > room ? max(0, room - 1) : streams.count
        for i in 0..<shown {
            let s = streams[i]
            let y = rect.y + 1 + i
            let bad = s.state != nil
            let style = bad ? p[.stale] : p[.stream]
            buf.put(Format.truncate(s.id, idWidth, ellipsis: ctx.g.ellipsis), at: (rect.x, y), style: bad ? p[.stale] : p[.text])
            buf.put(Format.right(Format.bitRate(s.bps), 10), at: (rect.x + idWidth + 1, y), style: style)
            if let reason = s.state {
                let x = rect.x + idWidth + 12
                let text = Format.truncate(reason, listWidth - idWidth - 12, ellipsis: ctx.g.ellipsis)
                buf.put(text, at: (x, y), style: reason == "stale" ? p[.stale] : p[.error].adding(.dim))
            }
        }
        if shown < streams.count && room > 0 {
            buf.put("+\(streams.count - shown) more streams", at: (rect.x, rect.y + 1 + shown), style: p[.label], maxWidth: listWidth)
        }
        let y = rect.y + content
        buf.put("total", at: (rect.x, y), style: p[.label])
        let total = state.sample?.totalBps.map(Format.bitRate) ?? "-"
        buf.put(Format.right(total, 10), at: (rect.x + idWidth + 1, y), style: p[.stream].adding(.bold))
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
