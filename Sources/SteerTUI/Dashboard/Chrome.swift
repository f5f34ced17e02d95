import SteerKit

/// The header line, the status line, the message line and the help overlay.
enum Chrome {
    /// steertop, host, target or replay file, LIVE/PAUSED/HISTORY/REPLAY, interval, mode.
    static func header(row: Rect, ctx: Context, into buf: inout Buffer) {
        let p = ctx.p, s = ctx.state
        let base = p[.header]
        func on(_ role: Role) -> Style { p[role].over(base) }
        buf.fill(row, " ", style: base)

        var left = [Segment(s.title, base.adding(.bold))]
        if !s.host.isEmpty { left.append(Segment(s.host, base, priority: 2)) }
        var right: [Segment] = []
        switch s.source {
        case .live(let target):
            if !target.isEmpty { left.append(Segment(target, base, priority: 4)) }
            if let h = s.history {
                var text = "HISTORY -\(Format.trimmed(h.secondsAgo))s \(h.index + 1)/\(h.count)"
                if s.paused { text += " PAUSED" }
                right.append(Segment(text, on(.warn)))
            } else if s.paused {
                right.append(Segment("PAUSED", on(.warn)))
            } else {
                right.append(Segment("LIVE", on(.ok)))
            }
            right.append(Segment("every \(Format.seconds(s.interval))", base, priority: 3))
        case .replay(let file, let position, let duration, let speed, let paused):
            left.append(Segment(Format.basename(file), base, priority: 1))
            var text = "REPLAY \(Format.speed(speed)) \(Format.clock(position))/\(Format.clock(duration))"
            if paused { text += " PAUSED" }
            right.append(Segment(text, on(.title)))
        }
        let known = s.mode.mode != nil
        var mode = [Span("mode ", base), Span(s.mode.name, on(known ? .mode : .warn))]
        if let now = s.kernelMode { mode += [Span(", now ", base), Span(now.name, on(.warn))] }
        right.append(Segment(spans: mode))
        if !s.modeDetail.isEmpty {
            var detail = Segment("(\(s.modeDetail))", base, priority: 5)
            detail.attached = true
            right.append(detail)
        }

        // Fit both groups together, with at least two spaces between them.
        let sep = Format.width(ctx.g.separator)
        let room = row.width - 2
        for i in right.indices { right[i].group = 1 }
        let all = Draw.fit(left + right, width: room - 2, separatorWidth: sep)
        let keptLeft = all.filter { $0.group == 0 }
        let keptRight = all.filter { $0.group == 1 }
        let rightWidth = Draw.width(keptRight, separatorWidth: sep)
        let separator = Span(ctx.g.separator, base)
        let used = Draw.segments(keptLeft, at: (row.x + 1, row.y), maxWidth: max(0, room - rightWidth - 2),
                                 separator: separator, ellipsis: ctx.g.ellipsis, into: &buf)
        let rx = max(row.x + 1 + used + 2, row.right - 1 - rightWidth)
        Draw.segments(keptRight, at: (rx, row.y), maxWidth: row.right - 1 - rx, separator: separator,
                      ellipsis: ctx.g.ellipsis, into: &buf)
    }

    /// The last line: the last mode switch and its result on the left; the recorder,
    /// malformed replay lines and the help key on the right.
    static func status(row: Rect, ctx: Context, into buf: inout Buffer) {
        let p = ctx.p, s = ctx.state
        buf.fill(row, " ", style: p[.text])
        var left: [Span] = []
        if let sw = s.switchStatus {
            let at = sw.time.isEmpty ? "" : " at \(sw.time)"
            let msg = sw.message.isEmpty ? "" : ": \(sw.message)"
            switch sw.phase {
            case .inProgress:
                left = [Span("switching to \(sw.target)\(String(ctx.g.ellipsis))", p[.warn]), Span(msg, p[.label])]
            case .ok:
                left = [Span("switched to \(sw.target)", p[.ok]), Span(at + msg, p[.label])]
            case .failed:
                left = [Span("switch to \(sw.target) failed\(at)\(msg)", p[.error])]
            }
        }
        var right: [Segment] = []
        if let rec = s.recorder {
            right.append(Segment(spans: [
                Span("\(ctx.g.recording) REC", p[.rec]),
                Span(" \(Format.basename(rec.path)) \(rec.lines) lines \(Format.bytes(rec.bytes))", p[.label]),
            ]))
        }
        if s.malformedLines > 0 {
            right.append(Segment("\(s.malformedLines) malformed line\(s.malformedLines == 1 ? "" : "s") skipped",
                                 p[.warn], priority: 1))
        }
        right.append(Segment("? help", p[.label], priority: 2))
        let leftWidth = left.reduce(0) { $0 + Format.width($1.text) }
        let sep = Format.width(ctx.g.separator)
        // The switch result matters most; the right side gives way first, down to its width.
        let kept = Draw.fit(right, width: max(0, row.width - 1 - min(leftWidth, row.width / 2) - 2), separatorWidth: sep)
        let rightWidth = Draw.width(kept, separatorWidth: sep)
        let fits = rightWidth <= row.width - 2
        let rx = fits ? row.right - rightWidth - 1 : row.right
        Draw.spans(left, at: (row.x, row.y), maxWidth: max(0, rx - row.x - (fits ? 2 : 0)), ellipsis: ctx.g.ellipsis, into: &buf)
        if fits {
            Draw.segments(kept, at: (rx, row.y), maxWidth: rightWidth, separator: ctx.separator,
                          ellipsis: ctx.g.ellipsis, into: &buf)
        }
    }

    /// Whether the message line is shown: a message, or something the sampler could not read.
    static func hasMessage(_ s: DashboardState) -> Bool {
        s.message != nil || !(s.sample?.missing.isEmpty ?? true)
    }

    static func message(row: Rect, ctx: Context, into buf: inout Buffer) {
        let p = ctx.p, s = ctx.state
        buf.fill(row, " ", style: p[.text])
        var spans: [Span] = []
        if let m = s.message { spans.append(Span(m.text, m.isError ? p[.error] : p[.text])) }
        if let missing = s.sample?.missing, !missing.isEmpty {
            if !spans.isEmpty { spans.append(ctx.separator) }
            spans.append(Span("could not read: " + missing.joined(separator: ", "), p[.warn]))
        }
        Draw.spans(spans, at: (row.x, row.y), maxWidth: row.width, ellipsis: ctx.g.ellipsis, into: &buf)
    }

    /// The key list, for live sessions or replays, in a box in the middle of the screen.
    static func help(area: Rect, ctx: Context, into buf: inout Buffer) {
        let p = ctx.p, s = ctx.state
        let base = p[.help]
        let key = base.adding(.bold)
        var lines: [[Span]] = []
        func line(_ k: String, _ what: String) {
            lines.append([Span(k + String(repeating: " ", count: max(1, 12 - Format.width(k))), key), Span(what, base)])
        }
        let lr = ctx.g.leftRight.split(separator: "/").map(String.init)
        let ud = ctx.g.upDown.split(separator: "/").map(String.init)
        switch s.source {
        case .live:
            var modes = [Span("1-5" + String(repeating: " ", count: 9), key)]
            for (i, m) in Mode.allCases.enumerated() {
                if i > 0 { modes.append(Span(" ", base)) }
                modes.append(Span("\(i + 1) \(m)", .mode(m) == s.mode ? p[.selection] : base))
            }
            lines.append(modes)
            line("", "switch the steering mode")
            line("u", "undo the last switch (restore last)")
            line("r", "start / stop recording")
            line("space", "pause the screen (sampling goes on)")
            line("+ -", "sampling interval")
            line("c", "next theme")
            line("\(lr[0]) \(lr[1]) T t", "older / newer sample (history)")
            line("End", "back to live")
            line("PgUp PgDn", "scroll the CPUs")
            line("\(ud[0]) \(ud[1]) s", "scroll / sort the interfaces")
            line("/ f", "filter the interfaces")
        case .replay:
            line("space", "pause / play")
            line("\(lr[0]) \(lr[1])", "step one sample back / forward")
            line("[ ]", "slower / faster")
            line("g G", "go to the start / the end")
            line("m", "next mode change")
            line("/", "jump to a time")
            line("PgUp PgDn", "scroll the CPUs")
            line("\(ud[0]) \(ud[1]) s", "scroll / sort the interfaces")
            line("f", "filter the interfaces")
        }
        line("?", "close this help")
        line("q", "quit")
        // What the columns and labels mean, for whoever reads them the first time.
        lines.append([])
        lines.append([Span("what the panels show", key)])
        line("busy", "100 - idle %: usr sys irq soft, shares of the core")
        line("NET_RX/s", "receive softirqs a second on the core")
        line("drop/s  D", "packets its backlog dropped (netdev_max_backlog)")
        line("sqz/s   S", "NET_RX out of budget or time (time squeeze)")
        line("rps_cpus", "CPUs RPS spreads a queue to; off: none")
        line("flow_cnt", "rps_flow_cnt: the queue's RFS flow table")
        line("sock_flow", "rps_sock_flow_entries: RFS's global table")
        line("pod1/t1/6", "an iperf3 stream: source / test / stream")
        line("chart", "the total, zoomed, over 2 minutes or more")
        if StagesPanel.shown(s.sample, s) {
            line("pkt/s cpuN", "stages: a device's packets, each CPU's share")
            line("seg/s", "flows: TCP segments; CPU shares of its receive")
            line("reader", "the CPU the flow's reader last ran on")
            line("local", "locality: share of segments on the reader's CPU")
        }

        let textWidth = lines.map { $0.reduce(0) { $0 + Format.width($1.text) } }.max() ?? 0
        let w = min(area.width - 2, textWidth + 4)
        let h = min(area.height - 2, lines.count + 2)
        guard w >= 8, h >= 3 else { return }
        let box = Rect(x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h)
        Draw.box(box, border: base, fill: base, glyphs: ctx.g, into: &buf)
        let title = " keys (\(s.source.isReplay ? "replay" : "live")) "
        buf.put(title, at: (box.x + 2, box.y), style: key, maxWidth: w - 4)
        for (i, spans) in lines.prefix(h - 2).enumerated() {
            Draw.spans(spans, at: (box.x + 2, box.y + 1 + i), maxWidth: w - 4, ellipsis: ctx.g.ellipsis, into: &buf)
        }
    }

    /// The whole screen when it is below the minimum size.
    static func tooSmall(area: Rect, minimum: Size, ctx: Context, into buf: inout Buffer) {
        buf.fill(area, " ", style: .plain)
        let text = "terminal too small (needs \(minimum))"
        let w = min(area.width, Format.width(text))
        buf.put(Format.truncate(text, w, ellipsis: ctx.g.ellipsis), at: (area.x + (area.width - w) / 2, area.y + area.height / 2),
                style: ctx.p[.warn], maxWidth: area.width)
    }
}

extension DashboardState.Source {
    var isReplay: Bool { if case .replay = self { return true } else { return false } }
}
