/// A piece of text in one style.
struct Span {
    var text: String
    var style: Style
    init(_ text: String, _ style: Style) { self.text = text; self.style = style }
}

/// A part of a line (a header field, a summary figure) that can be left out when the
/// line is too narrow: the highest `priority` goes first; 0 is never left out.
struct Segment {
    var spans: [Span]
    var priority: Int
    /// Which part of a line it belongs to (the header's left or right side).
    var group = 0
    /// Follows the segment before it after a space instead of a separator.
    var attached = false

    init(_ text: String, _ style: Style, priority: Int = 0) {
        spans = [Span(text, style)]; self.priority = priority
    }

    init(spans: [Span], priority: Int = 0) { self.spans = spans; self.priority = priority }

    var width: Int { spans.reduce(0) { $0 + Format.width($1.text) } }
}

/// Drawing helpers shared by the panels. They only write into the Buffer.
enum Draw {
    /// The segments that fit in `width` with `separator` between them: the highest
    /// priority (and among equals, the rightmost) is dropped first.
    static func fit(_ segments: [Segment], width: Int, separatorWidth: Int) -> [Segment] {
        var segs = segments
        func total() -> Int { Draw.width(segs, separatorWidth: separatorWidth) }
        while total() > width, segs.count > 1 {
            var worst = -1
            for (i, s) in segs.enumerated() where s.priority > 0 && (worst < 0 || s.priority >= segs[worst].priority) {
                worst = i
            }
            if worst < 0 { break }
            segs.remove(at: worst)
        }
        return segs
    }

    /// The width of segments laid out with separators (or a space before attached ones).
    static func width(_ segs: [Segment], separatorWidth: Int) -> Int {
        var w = 0
        for (i, s) in segs.enumerated() {
            if i > 0 { w += s.attached ? 1 : separatorWidth }
            w += s.width
        }
        return w
    }

    /// Writes `text` right-aligned in the `width` cells from `p.x` (the cells before it are
    /// left as they are; the frame starts blank). Text wider than that shows its start.
    static func right(_ text: String, at p: (x: Int, y: Int), width: Int, style: Style, into buf: inout Buffer) {
        let n = Format.width(text)
        buf.put(text, at: (p.x + max(0, width - n), p.y), style: style, maxWidth: width)
    }

    /// Writes segments from `x` with separators, cutting (with an ellipsis) at `maxWidth`.
    /// Returns the cells used.
    @discardableResult
    static func segments(_ segs: [Segment], at p: (x: Int, y: Int), maxWidth: Int, separator: Span,
                         ellipsis: Unicode.Scalar, into buf: inout Buffer) -> Int {
        var spans: [Span] = []
        for (i, s) in segs.enumerated() {
            if i > 0 { spans.append(s.attached ? Span(" ", separator.style) : separator) }
            spans += s.spans
        }
        return Draw.spans(spans, at: p, maxWidth: maxWidth, ellipsis: ellipsis, into: &buf)
    }

    /// Writes spans one after the other, cutting the last one that does not fit with an
    /// ellipsis. Returns the cells used.
    @discardableResult
    static func spans(_ spans: [Span], at p: (x: Int, y: Int), maxWidth: Int, ellipsis: Unicode.Scalar,
                      into buf: inout Buffer) -> Int {
        var used = 0
        for s in spans {
            let room = maxWidth - used
            if room <= 0 { break }
            if Format.width(s.text) > room {
                used += buf.put(Format.truncate(s.text, room, ellipsis: ellipsis), at: (p.x + used, p.y), style: s.style)
                break
            }
            used += buf.put(s.text, at: (p.x + used, p.y), style: s.style)
        }
        return used
    }

    /// A panel's title row: a rule in the border style with the segments that fit laid on
    /// it ("─ CPU 16 · busiest cpu3 62% soft ─────"). `limit` keeps the segments left of
    /// that column (headings may follow).
    static func titleRule(_ segs: [Segment], row: Rect, limit: Int? = nil, ctx: Context, into buf: inout Buffer) {
        buf.fill(row, ctx.g.horizontal, style: ctx.p[.border])
        let end = min(row.right, limit ?? row.right)
        let room = end - row.x - 4
        guard room > 0 else { return }
        let sepWidth = Format.width(ctx.g.separator)
        let kept = fit(segs, width: room, separatorWidth: sepWidth)
        buf.put(" ", at: (row.x + 1, row.y), style: ctx.p[.border])
        let used = segments(kept, at: (row.x + 2, row.y), maxWidth: room,
                            separator: Span(ctx.g.separator, ctx.p[.border]), ellipsis: ctx.g.ellipsis, into: &buf)
        buf.put(" ", at: (row.x + 2 + used, row.y), style: ctx.p[.border])
    }

    /// A stacked CPU bar: usr, sys, irq, soft (percent) from the left, idle for the rest.
    /// With colours, segments are coloured and the end is drawn to an eighth of a cell;
    /// when the theme gives the four segments one style, they differ by symbol instead.
    static func cpuBar(_ shares: (Double, Double, Double, Double), at p: (x: Int, y: Int), width: Int,
                       ctx: Context, into buf: inout Buffer) {
        guard width > 0 else { return }
        let idle = Cell(ctx.g.barEmpty, style: ctx.p[.idle])
        var cum: (Double, Double, Double, Double) = (shares.0, 0, 0, 0)
        cum.1 = cum.0 + shares.1
        cum.2 = cum.1 + shares.2
        cum.3 = cum.2 + shares.3
        let styles = ctx.segmentStyles
        if ctx.monoBars {
            let w = Double(width)
            func cells(_ v: Double) -> Int { v.isFinite ? min(width, max(0, Int((min(max(v, 0), 100) / 100 * w).rounded()))) : 0 }
            let ends = [cells(cum.0), cells(cum.1), cells(cum.2), cells(cum.3)]
            var seg = 0
            for i in 0..<width {
                while seg < 4 && i >= ends[seg] { seg += 1 }
                buf[p.x + i, p.y] = seg < 4 ? Cell(ctx.g.segmentFills[seg], style: styles[seg]) : idle
            }
            return
        }
        let total = width * 8
        func eighths(_ v: Double) -> Int {
            v.isFinite ? min(total, max(0, Int((min(max(v, 0), 100) / 100 * Double(total)).rounded()))) : 0
        }
        let e = (eighths(cum.0), eighths(cum.1), eighths(cum.2), eighths(cum.3))
        for i in 0..<width {
            let lo = i * 8, hi = lo + 8
            let filled = min(8, max(0, e.3 - lo))
            if filled == 0 {
                buf[p.x + i, p.y] = idle
                continue
            }
            // The segment that covers most of the cell gives its colour.
            func overlap(_ a: Int, _ b: Int) -> Int { max(0, min(hi, b) - max(lo, a)) }
            var best = 0, bestOverlap = overlap(0, e.0)
            let o1 = overlap(e.0, e.1), o2 = overlap(e.1, e.2), o3 = overlap(e.2, e.3)
            if o1 > bestOverlap { best = 1; bestOverlap = o1 }
            if o2 > bestOverlap { best = 2; bestOverlap = o2 }
            if o3 > bestOverlap { best = 3 }
            buf[p.x + i, p.y] = Cell(ctx.g.barEighths[filled], style: styles[best])
        }
    }

    /// A sparkline of the newest values that fit in `rect` (newest at the right edge),
    /// scaled to the largest of them; several rows high when the rect is.
    /// Draws the last `rect.width` values right-aligned, from `floor` (the bottom edge) to
    /// `ceiling` (the top; nil: the largest value shown).
    static func sparkline(_ values: [Double], in rect: Rect, floor: Double = 0, ceiling: Double? = nil,
                          style: Style, glyphs: Glyphs, into buf: inout Buffer) {
        guard !rect.isEmpty else { return }
        buf.fill(rect, " ", style: style)
        let shown = values.suffix(rect.width)
        var top = 0.0
        for v in shown where v.isFinite && v > top { top = v }
        if let ceiling { top = ceiling }
        guard top > floor else { return }
        let levels = glyphs.sparkLevels.count
        let units = Double(rect.height * levels)
        var x = rect.right - shown.count
        for v in shown {
            defer { x += 1 }
            guard v.isFinite, v > 0 else { continue }
            let u = max(1, Int((min(max((v - floor) / (top - floor), 0), 1) * units).rounded()))
            for r in 0..<rect.height {
                let inCell = min(levels, u - r * levels)
                if inCell <= 0 { break }
                buf[x, rect.bottom - 1 - r] = Cell(glyphs.sparkLevels[inCell - 1], style: style)
            }
        }
    }

    /// A box: border in `border`, inside filled with `fill`.
    static func box(_ rect: Rect, border: Style, fill: Style, glyphs g: Glyphs, into buf: inout Buffer) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        buf.fill(rect, " ", style: fill)
        buf.fill(Rect(x: rect.x + 1, y: rect.y, width: rect.width - 2, height: 1), g.horizontal, style: border)
        buf.fill(Rect(x: rect.x + 1, y: rect.bottom - 1, width: rect.width - 2, height: 1), g.horizontal, style: border)
        buf.fill(Rect(x: rect.x, y: rect.y + 1, width: 1, height: rect.height - 2), g.vertical, style: border)
        buf.fill(Rect(x: rect.right - 1, y: rect.y + 1, width: 1, height: rect.height - 2), g.vertical, style: border)
        buf[rect.x, rect.y] = Cell(g.corners[0], style: border)
        buf[rect.right - 1, rect.y] = Cell(g.corners[1], style: border)
        buf[rect.x, rect.bottom - 1] = Cell(g.corners[2], style: border)
        buf[rect.right - 1, rect.bottom - 1] = Cell(g.corners[3], style: border)
    }
}

/// What every panel draws with: the state, the resolved theme and the glyphs.
struct Context {
    let state: DashboardState
    let p: Palette
    let g: Glyphs
    /// usr, sys, irq, soft styles.
    let segmentStyles: [Style]
    /// The theme gives the four bar segments one style (no colours, monochrome theme).
    let monoBars: Bool

    init(state: DashboardState, palette: Palette, glyphs: Glyphs) {
        self.state = state; p = palette; g = glyphs
        let segments = [palette[.usr], palette[.sys], palette[.irq], palette[.soft]]
        segmentStyles = segments
        monoBars = segments.allSatisfy { $0 == segments[0] }
    }

    var separator: Span { Span(g.separator, p[.label]) }
}
