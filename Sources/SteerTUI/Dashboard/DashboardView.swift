import SteerKit

/// The whole screen, drawn from a DashboardState into a Buffer:
///
///     header          steertop · host · target            LIVE · every 1s · mode rfs+
///     CPU panel       per-core stacked bars (usr sys irq soft), busy, NET_RX/s, drops
///     interfaces      namespace/pod, iface, rx, rps_cpus, rps_flow_cnt per queue
///     stages          (when traced) each device's packets per second and CPU shares
///     flows           (when traced) TCP flows: their CPUs, the reader's CPU, locality
///     throughput      iperf3 streams, total, sparkline of the total
///     message line    (only when there is a message or something could not be read)
///     status line     last switch and its result · recorder · ? help
///
/// Layout rules, from 60x15 (`minimumSize`) up; below it the screen only says so.
/// When the panels do not all fit, in this order: the CPU panel goes from one core a
/// row to compact multi-column cells (as many columns as it takes to show every core);
/// the interfaces table (queues with the same settings merge first), then the stream
/// list, shorten to a few rows ending in "+N more" (before them, the flows and stages panels
/// shorten and then collapse to their title lines); the CPU panel shows a scrolling window of cores (PgUp/PgDn, range in its
/// title) down to 4 rows; then the throughput panel, the interfaces panel and last the
/// CPU panel collapse to a one-line summary. Where tracing cannot run, the stages
/// panel is one line that says why and the flows panel is not there. Rows left over make the throughput chart taller.
public enum DashboardView {
    public static let minimumSize = Size(width: 60, height: 15)

    /// How the frame was laid out: for the app's scroll keys, and for tests.
    public struct Layout: Equatable, Sendable {
        public enum Form: Equatable, Sendable {
            case full
            /// Shown in part: a list ending in "+N more", or a window of CPUs.
            case shortened
            /// One summary line.
            case summary
        }

        public var tooSmall = false
        public var cpu = Form.full
        public var interfaces = Form.full
        public var throughput = Form.full
        public var stages = Form.full
        public var flows = Form.full
        /// Rows of the CPU, interfaces, throughput, stages and flows panels, titles
        /// included (0: the panel is not there).
        public var heights: [Int] = [0, 0, 0, 0, 0]
        /// The first CPU shown (state.cpuScroll, clamped and rounded to a row).
        public var cpuFirst = 0
        /// CPUs one PgUp/PgDn moves by; 0 when every CPU is shown.
        public var cpuPage = 0
        /// The largest useful cpuScroll.
        public var cpuScrollMax = 0
        /// The interfaces table's first row shown, rows a page, and the largest useful
        /// ifaceScroll (0 when every row is shown).
        public var ifaceFirst = 0
        public var ifacePage = 0
        public var ifaceScrollMax = 0

        public init() {}
    }

    /// Draws the dashboard over the whole buffer (every cell is written). `colours` is what
    /// the terminal shows (CursesBackend.colours); the theme is resolved for it.
    @discardableResult
    public static func render(_ state: DashboardState, theme: Theme, colours: ColourSupport = .c256,
                              glyphs: Glyphs, into buf: inout Buffer) -> Layout {
        render(state, palette: theme.palette(colours), glyphs: glyphs, into: &buf)
    }

    /// As above with the theme already resolved (saves resolving it every frame).
    @discardableResult
    public static func render(_ state: DashboardState, palette: Palette, glyphs: Glyphs, into buf: inout Buffer) -> Layout {
        let ctx = Context(state: state, palette: palette, glyphs: glyphs)
        var layout = Layout()
        let area = buf.area
        buf.fill(area, with: Cell(" ", style: palette[.text]))
        guard area.width >= minimumSize.width, area.height >= minimumSize.height else {
            Chrome.tooSmall(area: area, minimum: minimumSize, ctx: ctx, into: &buf)
            layout.tooSmall = true
            return layout
        }

        let figs = state.sample.map(CPUFigures.from) ?? []
        let ifaces = InterfacesPanel.ordered(state.sample?.ifaces ?? [], state)
        let streams = state.streams
        let message = Chrome.hasMessage(state)
        let avail = area.height - 2 - (message ? 1 : 0)
        let trace = TraceHeights(state.sample, state)
        let h = allocate(figs: figs, ifaces: ifaces, streams: streams, trace: trace, width: area.width, rows: avail,
                         layout: &layout)

        Chrome.header(row: area.row(0), ctx: ctx, into: &buf)
        var y = 1
        let cpuRect = Rect(x: 0, y: y, width: area.width, height: h[0])
        if h[0] == 1 {
            CPUPanel.summary(figs, row: cpuRect, ctx: ctx, into: &buf)
        } else {
            let window = CPUPanel.draw(figs, in: cpuRect, ctx: ctx, into: &buf)
            layout.cpuFirst = window.first
            layout.cpuPage = window.page
            layout.cpuScrollMax = window.scrollMax
        }
        y += h[0]
        let ifRect = Rect(x: 0, y: y, width: area.width, height: h[1])
        let sample = state.sample ?? Sample()
        if h[1] == 1 {
            InterfacesPanel.summary(sample, row: ifRect, ctx: ctx, into: &buf)
        } else {
            let window = InterfacesPanel.draw(sample, ifaces, in: ifRect, ctx: ctx, into: &buf)
            layout.ifaceFirst = window.first
            layout.ifacePage = window.page
            layout.ifaceScrollMax = window.scrollMax
        }
        y += h[1]
        if h[3] > 0 {
            let r = Rect(x: 0, y: y, width: area.width, height: h[3])
            if h[3] == 1 { StagesPanel.summary(sample, row: r, ctx: ctx, into: &buf) }
            else { StagesPanel.draw(sample, in: r, ctx: ctx, into: &buf) }
            y += h[3]
        }
        if h[4] > 0 {
            let r = Rect(x: 0, y: y, width: area.width, height: h[4])
            if h[4] == 1 { FlowsPanel.summary(sample, row: r, ctx: ctx, into: &buf) }
            else { FlowsPanel.draw(sample, in: r, ctx: ctx, into: &buf) }
            y += h[4]
        }
        let tpRect = Rect(x: 0, y: y, width: area.width, height: h[2])
        if h[2] == 1 {
            ThroughputPanel.summary(state, row: tpRect, ctx: ctx, into: &buf)
        } else {
            ThroughputPanel.draw(state, in: tpRect, ctx: ctx, into: &buf)
        }
        if message { Chrome.message(row: area.row(area.height - 2), ctx: ctx, into: &buf) }
        Chrome.status(row: area.row(area.height - 1), ctx: ctx, into: &buf)
        if state.showHelp { Chrome.help(area: area, ctx: ctx, into: &buf) }
        return layout
    }

    /// The stages and flows panels' full and smallest heights (0 when not there).
    struct TraceHeights {
        var stagesFull = 0, stagesMin = 0, flowsFull = 0, flowsMin = 0

        init(_ s: Sample?, _ st: DashboardState) {
            stagesFull = StagesPanel.fullHeight(s, st); stagesMin = StagesPanel.minHeight(s, st)
            flowsFull = FlowsPanel.fullHeight(s, st); flowsMin = FlowsPanel.minHeight(s, st)
        }

        init() {}
    }

    /// Rows for the CPU, interfaces, throughput, stages and flows panels (see the type's comment).
    static func allocate(figs: [CPUFigures], ifaces: [InterfaceSample], streams: [StreamRate],
                         trace: TraceHeights = TraceHeights(), width: Int,
                         rows avail: Int, layout: inout Layout) -> [Int] {
        let ladder = CPUPanel.ladder(count: figs.count, width: width, labelWidth: CPUPanel.labelWidth(figs))
        let cpuAll = ladder.last?.height ?? 2
        let cpuMin = min(cpuAll, 5)
        let ifFull = InterfacesPanel.fullHeight(ifaces), ifMin = InterfacesPanel.minHeight(ifaces)
        let tpFull = ThroughputPanel.fullHeight(streams), tpMin = ThroughputPanel.minHeight(streams)
        var h = [ladder.first?.height ?? 2, ifFull, tpFull, trace.stagesFull, trace.flowsFull]
        func over() -> Int { h.reduce(0, +) - avail }

        for plan in ladder where over() > 0 { h[0] = plan.height }
        // The trace panels make room first: shortened, then their title lines alone (the
        // rows they give up come back to them below when the others do not need them).
        if over() > 0 { h[4] = max(trace.flowsMin, h[4] - over()) }
        if over() > 0 { h[3] = max(trace.stagesMin, h[3] - over()) }
        if over() > 0 && h[4] > 1 { h[4] = 1 }
        if over() > 0 && h[3] > 1 { h[3] = 1 }
        if over() > 0 { h[1] = max(ifMin, h[1] - over()) }
        if over() > 0 { h[2] = max(tpMin, h[2] - over()) }
        if over() > 0 { h[0] = max(cpuMin, h[0] - over()) }
        if over() > 0 { h[2] = 1 }
        if over() > 0 { h[1] = 1 }
        if over() > 0 { h[0] = max(1, h[0] - over()) }
        if h[0] == 2 && !figs.isEmpty && avail < 3 { h[0] = 1 }
        // A shortened interfaces table merges like queues and may need fewer rows then.
        var ifLimit = ifFull
        if h[1] > 1 && h[1] < ifFull {
            ifLimit = min(ifFull, InterfacesPanel.groupedHeight(ifaces))
            h[1] = min(h[1], ifLimit)
        }

        // Give back what collapsing and merging freed beyond the need: first to the CPU
        // panel (the roomiest layout the rows allow, or a longer window), then to the
        // interfaces, then to a taller sparkline.
        var spare = -over()
        func give(_ i: Int, upTo limit: Int) {
            guard spare > 0, h[i] > 1, h[i] < limit else { return }
            let n = min(spare, limit - h[i])
            h[i] += n
            spare -= n
        }
        if h[0] > 1, let roomier = ladder.first(where: { $0.height > h[0] && $0.height - h[0] <= spare }) {
            spare -= roomier.height - h[0]
            h[0] = roomier.height
        }
        give(0, upTo: cpuAll)
        give(1, upTo: ifLimit)
        // Collapsed trace panels come back whole or shortened, not one row at a time.
        if h[3] == 1 && trace.stagesMin > 1 && spare >= trace.stagesMin - 1 { spare -= trace.stagesMin - 1; h[3] = trace.stagesMin }
        if h[4] == 1 && trace.flowsMin > 1 && spare >= trace.flowsMin - 1 { spare -= trace.flowsMin - 1; h[4] = trace.flowsMin }
        give(3, upTo: trace.stagesFull)
        give(4, upTo: trace.flowsFull)
        // Whatever is left makes the throughput chart taller: no row stays blank.
        give(2, upTo: Int.max)

        func form(_ height: Int, _ full: Int) -> Layout.Form { height == 1 ? .summary : (height < full ? .shortened : .full) }
        layout.cpu = form(h[0], cpuAll)
        layout.interfaces = form(h[1], ifFull)
        layout.throughput = form(h[2], tpFull)
        layout.stages = h[3] == 0 ? .full : form(h[3], trace.stagesFull)
        layout.flows = h[4] == 0 ? .full : form(h[4], trace.flowsFull)
        layout.heights = h
        return h
    }
}
