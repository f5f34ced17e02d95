import SteerKit
import Testing
@testable import SteerTUI

@Suite struct FormatTests {
    @Test func numbers() {
        #expect(Format.fixed(12.345, 1) == "12.3")
        #expect(Format.fixed(0.05, 1) == "0.1")
        #expect(Format.fixed(-2.5, 2) == "-2.50")
        #expect(Format.fixed(-0.001, 1) == "0.0")
        #expect(Format.fixed(7, 0) == "7")
        #expect(Format.fixed(.nan, 1) == "-")
        #expect(Format.fixed(1.5e13, 1) == "15000000000000.0")
        #expect(Format.percent(99.6, suffix: 0x25) == "100%")
        #expect(Format.percent(-3) == "0")
        #expect([0, 999.4, 999.6, 12_345, 812_345, 1.234e6, 5e12].map(Format.si)
                == ["0", "999", "1.00k", "12.3k", "812k", "1.23M", "5.00T"])
        #expect(Format.number(42, suffix: 0x6B) == "42k")
    }

    @Test func ratesTimesAndSizes() {
        #expect(Format.bitRate(9.41e9) == "9.41 Gb/s")
        #expect(Format.bitRate(941.24e6) == "941.2 Mb/s")
        #expect(Format.bitRate(0) == "0.0 Mb/s")
        #expect(Format.clock(83) == "0:01:23")
        #expect(Format.clock(72385.9) == "20:06:25")
        #expect(Format.clock(3723) == "1:02:03")
        #expect(Format.seconds(0.5) == "0.5s")
        #expect(Format.speed(4) == "4x")
        #expect(Format.speed(0.25) == "0.25x")
        #expect(Format.bytes(512) == "512 B")
        #expect(Format.bytes(45_678) == "46 KB")
        #expect(Format.bytes(1_234_567) == "1.2 MB")
        #expect(Format.basename("/var/tmp/rec.jsonl") == "rec.jsonl")
        #expect(Format.truncate("connection refused", 8, ellipsis: "…") == "connect…")
    }
}

/// The bar and the sparkline, drawn into a buffer full of "@".
@Suite struct WidgetTests {
    @Test func aBarDrawsOnlyItsCellsToAnEighth() {
        let ctx = Context(state: DashboardState(), palette: Theme.builtin.palette(.c256), glyphs: .unicode)
        var b = markedBuffer(14, 1)
        // 10 cells = 80 eighths: usr 10% (8), sys 5% (4), irq 0, soft 40% (32): 44 eighths.
        Draw.cpuBar((10, 5, 0, 40), at: (2, 0), width: 10, ctx: ctx, into: &b)
        #expect(b.lines == ["@@█████▌····@@"])
        let p = ctx.p
        #expect(b.styles(row: 0)[2...7].map { $0 } == [p[.usr], p[.sys], p[.soft], p[.soft], p[.soft], p[.soft]])
        #expect(b[8, 0].style == p[.idle])
    }

    @Test func anASCIIBarAndSparkline() {
        let ctx = Context(state: DashboardState(), palette: Theme.builtin.palette(.c8), glyphs: .ascii)
        var b = markedBuffer(12, 3)
        Draw.cpuBar((30, 0, 0, 25), at: (0, 0), width: 10, ctx: ctx, into: &b)
        Draw.sparkline([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], in: Rect(x: 1, y: 1, width: 10, height: 2), style: .plain,
                       glyphs: .ascii, into: &b)
        // 10 values over 2 rows of 9 levels: value v fills 2v of 18 units.
        #expect(b.lines == ["#####=....@@", "@     .-+#@@", "@ :=*%@@@@@@"])
    }

    @Test func aSparklineKeepsTheNewestValuesAtTheRightEdge() {
        var b = markedBuffer(8, 1)
        Draw.sparkline([9, 9, 9, 0, 1, 4, 8], in: Rect(x: 1, y: 0, width: 5, height: 1), style: .plain,
                       glyphs: .unicode, into: &b)
        // The 5 newest: 9 0 1 4 8 on a scale of 9 in eighths.
        #expect(b.lines == ["@█ ▁▄▇@@"])
    }
}

@Suite struct InterfacesPanelSelectionTests {
    /// When the interfaces do not all fit, the busiest are shown (in their order), not the
    /// first: a quiet host NIC must not push vxlan.calico off the screen.
    @Test func aLongTableKeepsItsOrderScrollsSortsAndFilters() {
        var ifaces: [InterfaceSample] = []
        for i in 0..<30 {
            ifaces.append(InterfaceSample(name: "cali\(i)", netns: "steer-server", rxBps: 1e5 + Double(i),
                                          queues: [QueueState(queue: 0, rpsCPUs: "0", rpsFlowCount: 0)]))
        }
        ifaces.append(InterfaceSample(name: "vxlan.calico", netns: "steer-server", rxBps: 9e9,
                                      queues: [QueueState(queue: 0, rpsCPUs: "3", rpsFlowCount: 0)]))
        ifaces.insert(InterfaceSample(name: "eth1", netns: "steer-server", rxBps: 9.1e9,
                                      queues: [QueueState(queue: 0, rpsCPUs: "3", rpsFlowCount: 0)]), at: 0)
        var sample = Samples.sample(cpus: 2, pods: 0, streams: 0)
        sample.ifaces = ifaces
        var state = DashboardState()
        state.sample = sample
        // The receive path's order, and it holds still: a row does not jump when rates change.
        var lines = Samples.frame(state, 80, 24).lines
        var table = lines.filter { $0.hasPrefix("steer-server") }
        #expect(table.first?.contains("eth1") == true)
        #expect(table.dropFirst().first?.contains("cali0 ") == true, "\(lines.joined(separator: "\n"))")
        #expect(lines.contains { $0.hasPrefix("rows 1-") && $0.contains("of 32") })
        func names(_ lines: [String]) -> [Substring] {
            lines.filter { $0.hasPrefix("steer-server") }.map { $0.split(separator: " ")[1] }
        }
        state.sample!.ifaces[1].rxBps = 1
        state.sample!.ifaces[5].rxBps = 8e9
        #expect(names(Samples.frame(state, 80, 24).lines) == names(lines))
        // Scrolled to the end: vxlan.calico, the last sampled.
        state.ifaceScroll = 1000
        lines = Samples.frame(state, 80, 24).lines
        table = lines.filter { $0.hasPrefix("steer-server") }
        #expect(table.last?.contains("vxlan.calico") == true, "\(lines.joined(separator: "\n"))")
        #expect(lines.contains { $0.contains("-32 of 32") })
        // Sorted by rate: the busiest first.
        state.ifaceScroll = 0
        state.ifaceOrder = .rate
        table = Samples.frame(state, 80, 24).lines.filter { $0.hasPrefix("steer-server") }
        #expect(table.prefix(2).map { $0.contains("eth1") || $0.contains("vxlan.calico") } == [true, true])
        // Filtered: only what matches, and the title says so.
        state.ifaceFilter = "VXLAN"
        lines = Samples.frame(state, 80, 24).lines
        #expect(lines.filter { $0.hasPrefix("steer-server") }.count == 1)
        #expect(lines.contains { $0.contains("filter \"VXLAN\"") })
        state.ifaceFilter = "nothing-like-it"
        #expect(Samples.frame(state, 80, 24).lines.contains { $0.hasPrefix("no interface matches \"nothing-like-it\"") })
    }
}

/// Drops and squeezes stay named for a minute, with the CPU and how long ago.
@Suite struct PressureTests {
    func sample(t: Double, drops: [Int] = [], squeeze: [Int] = []) -> Sample {
        var s = Sample()
        s.t = t
        s.softnet = (0..<4).map { cpu in
            SoftnetRates(cpu: cpu, processed: 10, dropped: drops.contains(cpu) ? 5 : 0,
                         timeSqueeze: squeeze.contains(cpu) ? 1 : 0, receivedRPS: 0, flowLimit: 0)
        }
        return s
    }

    @Test func recentKeepsTheLatestOfEachCPUWithinTheWindow() {
        let samples = [sample(t: 0, drops: [1]), sample(t: 10, drops: [3], squeeze: [2]), sample(t: 15),
                       sample(t: 20, drops: [3]), sample(t: 70)]
        #expect(Pressure.recent(in: samples) == [
            Pressure(cpu: 3, kind: .drops, secondsAgo: 50),
            Pressure(cpu: 2, kind: .squeeze, secondsAgo: 60),
        ])
        #expect(Pressure.recent(in: samples.prefix(4)) == [
            Pressure(cpu: 3, kind: .drops, secondsAgo: 0),
            Pressure(cpu: 2, kind: .squeeze, secondsAgo: 10),
            Pressure(cpu: 1, kind: .drops, secondsAgo: 20),
        ])
        #expect(Pressure.recent(in: [Sample]()).isEmpty)
    }

    @Test func theCPUPanelNamesThem() {
        var st = Samples.state(cpus: 16)
        st.pressure = [Pressure(cpu: 3, kind: .drops, secondsAgo: 0), Pressure(cpu: 5, kind: .drops, secondsAgo: 12.4),
                       Pressure(cpu: 2, kind: .squeeze, secondsAgo: 7)]
        let b = Samples.frame(st, 200, 60)
        #expect(b.line(1).contains("drops cpu3 now, cpu5 12s ago"), "\(b.line(1))")
        #expect(b.line(1).contains("squeeze cpu2 7s ago"), "\(b.line(1))")
    }
}

/// The throughput chart is the total's, zoomed to its range, with mode changes marked.
@Suite struct ThroughputChartTests {
    @Test func zoomedAxisAndModeMarks() {
        var st = Samples.state(cpus: 2, streams: 2)
        // 9.0 to 9.9 Gb/s: a 10% change must fill the chart, not sit on one row above zero.
        st.throughputHistory = (0..<60).map { $0 < 30 ? 9.0e9 : 9.9e9 }
        st.modeMarks = [.init(index: 30, mode: "rfs")]
        let b = Samples.frame(st, 100, 30)
        let lines = b.lines
        let top = lines.firstIndex { $0.hasPrefix("─ Throughput") }!
        let chart = Array(lines[(top + 1)...].prefix(while: { !$0.hasPrefix("switched") }))
        // The y-axis labels: round figures above 9.9 and below 9.0, not 0.
        #expect(chart.first!.contains("10.50 Gb/s"), "\(chart)")
        #expect(chart.dropLast().last!.contains("8.50 Gb/s"), "\(chart)")
        // The time axis: the span on the left, the switch to rfs where it happened. The
        // plot is 44 columns, so a column is 3 samples: it spans two minutes and more.
        let axis = chart.last!
        #expect(axis.contains("-132s ─") && axis.contains("┴rfs"), "\(axis)")
        #expect(lines[top].contains("chart 3s a column"), "\(lines[top])")
        let mark = axis.distance(of: "┴rfs")!
        // Before the mark the bars are low (9.0), after it high (9.9): a row filled only after.
        #expect(chart.contains { let r = Array($0); return r.count > mark + 2 && r[mark + 2] != " " && r[mark - 3] == " " }, "\(chart)")
        #expect(Array(chart[chart.count - 2])[mark - 3] != " ", "\(chart)")
    }

    /// A column is the mean of its samples, aligned on tick numbers: a new sample changes
    /// only the newest column until it is full, then the chart moves by one column.
    @Test func columnsHoldAlignedMeansAndShiftOnlyWhenOneFills() {
        var st = Samples.state(cpus: 2, streams: 2)
        st.interval = 1
        st.throughputHistory = [1, 3, 5, 7, 9, 11, 13]
        st.throughputFirstTick = 5  // ticks 5...11; columns of 3: [3,4,5] [6,7,8] [9,10,11]
        var c = ThroughputPanel.Columns(st, width: 40)
        #expect(c.perColumn == 3 && c.span == 120)
        #expect(c.values == [1, 5, 11])
        st.throughputHistory.append(15)  // tick 12 opens a new column
        c = ThroughputPanel.Columns(st, width: 40)
        #expect(c.values == [1, 5, 11, 15])
        st.throughputHistory.append(17)  // tick 13 joins it: only the newest column changes
        c = ThroughputPanel.Columns(st, width: 40)
        #expect(c.values == [1, 5, 11, 16])
        #expect(c.peak == 17)
        // Wide enough for two minutes of single samples: one sample a column.
        #expect(ThroughputPanel.samplesPerColumn(width: 120, interval: 1) == 1)
        #expect(ThroughputPanel.samplesPerColumn(width: 60, interval: 1) == 2)
        #expect(ThroughputPanel.samplesPerColumn(width: 20, interval: 0.5) == 12)
    }
}
