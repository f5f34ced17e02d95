import Testing
import SteerKit

/// Keys as terminals really send them, through tmux: an escape sequence is one key or
/// none, never its bytes (End arrives from tmux as ESC [ 4 ~, and its 4 once switched the
/// node to rfs).
private let keysThatMustNotSwitch: [[String]] = [
    ["End"], ["Home"], ["PPage"], ["NPage"], ["IC"], ["DC"], ["BTab"], ["C-Right"], ["S-End"], ["C-Home"],
    ["F1"], ["F2"], ["F3"], ["F4"], ["F5"], ["F6"], ["F7"], ["F8"], ["F9"], ["F10"], ["F11"], ["F12"],
    ["M-1"], ["M-4"], ["M-5"], ["M-u"], ["-l", "u4"],
    // Raw sequences a terminal or a confused program sends: rxvt Home/End, vt220 keys with
    // modifiers, an 8-bit CSI, a cursor position report, an OSC with digits.
    ["-H", "1b", "5b", "37", "7e"], ["-H", "1b", "5b", "38", "7e"], ["-H", "1b", "5b", "34", "3b", "35", "7e"],
    ["-H", "c2", "9b", "34", "7e"], ["-H", "1b", "5b", "32", "34", "3b", "38", "30", "52"],
    ["-H", "1b", "5d", "32", "3b", "31", "32", "33", "34", "35", "07"],
    // Digits that arrive together (a paste the terminal did not bracket).
    ["-l", "3333"], ["-l", "x4"],
]

/// Sends a key, then a sentinel that only says "does nothing": once the sentinel's message
/// shows, everything before it has been handled (keys are handled in order). The sentinel
/// starts with three CANs, which end any sequence or string the key left open (else the
/// sentinel would rightly be taken as part of it).
private func sendThenSync(_ pane: TmuxPane, _ key: [String], sentinel: Int) -> Bool {
    pane.send(key)
    let marks = Array("xyzwvkjh")
    let mark = marks[sentinel % marks.count]
    pane.send(["-H", "18", "18", "18", String(mark.asciiValue!, radix: 16)])
    return pane.waitFor("key \(mark) does nothing here")
}

extension LabTests.Dashboard {
    @Test(arguments: ["xterm-256color", "tmux-256color"])
    func sequencesNeverSwitchModes(term: String) throws {
        let lab = try LabFixture(pods: 1)
        let work = TemporaryDirectory()
        let flowCount = "/sys/class/net/eth1/queues/rx-0/rps_flow_cnt"
        let live = try TmuxPane(width: 100, height: 30, command: [steertopBinary],
                                environment: ["STEERTOP_STATE_DIR=\(lab.state.path)", "TERM=\(term)", "LANG=C.UTF-8"],
                                directory: work.path)
        #expect(live.waitFor("mode baseline", seconds: 15), "\(live.text)")

        for (i, key) in keysThatMustNotSwitch.enumerated() {
            #expect(sendThenSync(live, key, sentinel: i), "\(key) was handled:\n\(live.text)")
            #expect(!live.text.contains("switch"), "\(key) must not switch:\n\(live.text)")
        }
        #expect(try catInNetns("steer-server", flowCount) == "0")
        #expect(try catInNetns("", SteeringFile.sockFlowEntriesPath) == lab.sockFlowEntries)

        // Escape alone closes the help, and is not the start of a sequence.
        live.send("?")
        #expect(live.waitFor("switch the steering mode"), "\(live.text)")
        live.send("Escape")
        #expect(live.waitForAbsence("switch the steering mode"), "\(live.text)")

        // A bracketed paste (tmux brackets it because steertop asked for it) is swallowed.
        _ = try Command.run(["tmux", "-L", live.socket, "set-buffer", "--", "12345 4 3"])
        _ = try Command.run(["tmux", "-L", live.socket, "paste-buffer", "-p", "-t", live.session])
        #expect(live.waitFor("pasted text ignored (9 characters)"), "\(live.text)")
        // A mode key while the help is open closes the help, nothing more.
        live.send("?")
        #expect(live.waitFor("switch the steering mode"), "\(live.text)")
        #expect(sendThenSync(live, ["4"], sentinel: 1))
        // In history a mode key says how to get back to live.
        live.send("Left")
        #expect(live.waitFor("HISTORY"), "\(live.text)")
        live.send("4")
        #expect(live.waitFor("this is history: End returns to live"), "\(live.text)")
        #expect(!live.text.contains("switched"))
        #expect(try catInNetns("steer-server", flowCount) == "0")

        // The control: End returns to live, and 4 pressed on its own does switch.
        live.send("End")
        #expect(live.waitFor("LIVE"))
        live.send("4")
        #expect(live.waitFor("switched to rfs"), "\(live.text)")
        #expect(try catInNetns("steer-server", flowCount) == "32768")
        // u undoes it, read back like a switch.
        live.send("u")
        #expect(live.waitFor("switched to previous settings (undo)"), "\(live.text)")
        #expect(live.text.contains("all read back"), "\(live.text)")
        #expect(try catInNetns("steer-server", flowCount) == "0")
        #expect(try catInNetns("", SteeringFile.sockFlowEntriesPath) == lab.sockFlowEntries)
        live.send("q")
    }

    /// With more pods than rows at 80x24 the table keeps its order while rates change,
    /// scrolls, sorts and filters.
    @Test func manyPodsKeepAStableOrder() throws {
        let lab = try LabFixture(pods: 6)
        let work = TemporaryDirectory()
        let live = try TmuxPane(width: 80, height: 24, command: [steertopBinary, "--traffic", "3"],
                                environment: ["STEERTOP_STATE_DIR=\(lab.state.path)", "TERM=xterm-256color", "LANG=C.UTF-8"],
                                directory: work.path)
        #expect(live.waitFor("pod1/", seconds: 20), "streams appear:\n\(live.text)")
        // The table's rows: between its heading and the "rows a-b of n" line.
        func table(_ text: String) -> [String] {
            let lines = text.split(separator: "\n").map(String.init)
            guard let h = lines.firstIndex(where: { $0.hasPrefix("namespace/pod") }) else { return [] }
            return lines[(h + 1)...].prefix { !$0.hasPrefix("rows ") && !$0.hasPrefix("─") }
                .map { String($0.prefix(35)) }
        }
        #expect(live.waitFor("rows 1-"), "the table scrolls at 80x24:\n\(live.text)")
        let first = table(live.text)
        #expect(first.count >= 3, "\(live.text)")
        // Three more ticks under traffic: the same rows in the same order.
        for _ in 0..<3 {
            let clock = live.text
            #expect(live.waitUntil { $0 != clock })
            #expect(table(live.text) == first, "the order holds:\n\(live.text)")
        }
        live.send("Down")
        #expect(live.waitUntil { $0.contains("rows 2-") }, "\(live.text)")
        live.send("s")
        #expect(live.waitFor("busiest first"))
        #expect(live.waitFor("by rx"))
        live.send("s")
        live.send("s")
        #expect(live.waitFor("in receive-path order"), "s cycles back:\n\(live.text)")
        live.send("/")
        live.send(["-l", "server-3"])
        live.send("Enter")
        #expect(live.waitFor("filter \"server-3\""), "\(live.text)")
        // The pod's two rows: its veth on the node (matched by ifindex) and its eth0.
        #expect(live.waitUntil { t in table(t).count == 2 && table(t)[0].contains("cali") && table(t)[1].contains("eth0") },
                "pod 3's veth beside its eth0:\n\(live.text)")
        live.send("q")
    }

    /// Random bytes typed into the live dashboard change no steering file and do not
    /// crash it. (Left out: q and Q, which quit; ?, / and f, whose help or prompt takes the
    /// next key, the test's sentinel; and the bytes the terminal turns into
    /// signals or flow control: ^C and ^\ quit, ^Z suspends, ^S and ^Q stop and start output.)
    @Test func randomBytesChangeNothing() throws {
        let lab = try LabFixture(pods: 1)
        let work = TemporaryDirectory()
        let live = try TmuxPane(width: 100, height: 30, command: [steertopBinary],
                                environment: ["STEERTOP_STATE_DIR=\(lab.state.path)", "TERM=xterm-256color", "LANG=C.UTF-8"],
                                directory: work.path)
        #expect(live.waitFor("mode baseline", seconds: 15), "\(live.text)")
        let before = try SteeringSnapshotText.read()
        var rng = SystemRandomNumberGenerator()
        let signalling: Set<UInt8> = [0x03, 0x1A, 0x1C, 0x11, 0x13, 0x71, 0x51, 0x3F, 0x2F, 0x66]
        for i in 0..<40 {
            var bytes: [UInt8] = []
            // At least two bytes a write, and an ESC in most: a sequence, cut or whole.
            if i % 4 != 0 { bytes.append(0x1B) }
            for _ in 0..<Int.random(in: 1...12, using: &rng) {
                var b = UInt8.random(in: 0...255, using: &rng)
                while signalling.contains(b) { b = UInt8.random(in: 0...255, using: &rng) }
                bytes.append(b)
            }
            if bytes.count < 2 { bytes.append(0x1B) }
            let hex = bytes.map { String($0, radix: 16) }
            try #require(sendThenSync(live, ["-H"] + hex, sentinel: i), "after \(hex):\n\(live.text)")
            #expect(!live.text.contains("switch"), "\(hex) must not switch:\n\(live.text)")
        }
        #expect(try SteeringSnapshotText.read() == before)
        // Still running (arrows among the bytes may have left it in history or paused).
        #expect(live.text.contains("steertop ·") && live.text.contains("mode baseline"), "\(live.text)")
        let pid = try #require(live.pid)
        #expect(LibC.processExists(pid), "steertop is still running")
        live.send("q")
    }
}

/// The steering files of the lab's server side and the global sysctl, as text.
private enum SteeringSnapshotText {
    static func read() throws -> [String] {
        var out = [try catInNetns("", SteeringFile.sockFlowEntriesPath)]
        for (ns, dev) in [("steer-server", "eth1"), ("steer-server", "vxlan.calico"), ("steer-server-pod1", "eth0")] {
            for f in ["rps_cpus", "rps_flow_cnt"] {
                out.append(try catInNetns(ns, "/sys/class/net/\(dev)/queues/rx-0/\(f)"))
            }
        }
        return out
    }
}

/// Word `n` (0-based, split at spaces) of the first match of `pattern` in `text`.
private func word(_ text: String, _ pattern: String, _ n: Int) -> String? {
    guard let regex = try? Regex(pattern), let m = text.firstMatch(of: regex) else { return nil }
    let words = text[m.range].split(separator: " ")
    return n < words.count ? String(words[n]) : nil
}

/// Replay needs no root: End and Home jump, they do not change the speed.
@Suite struct DashboardReplayKeysTests {
    @Test func endAndHomeJumpInReplay() throws {
        let work = TemporaryDirectory()
        let pane = try TmuxPane(width: 100, height: 30,
                                command: [steertopBinary, "replay", repositoryRoot + "/recordings/example-lab-sweep.jsonl"],
                                environment: ["TERM=tmux-256color", "LANG=C.UTF-8"], directory: work.path)
        #expect(pane.waitFor("REPLAY"), "\(pane.text)")
        for (i, key) in [["End"], ["Home"], ["-H", "1b", "5b", "34", "7e"], ["-H", "1b", "5b", "31", "7e"], ["F5"]].enumerated() {
            #expect(sendThenSync(pane, key, sentinel: i), "\(key):\n\(pane.text)")
            #expect(!pane.text.contains("speed 0.5x"), "\(key) must not change the speed:\n\(pane.text)")
        }
        pane.send("[")
        #expect(pane.waitFor("speed 0.5x"), "the control: [ does halve it\n\(pane.text)")
        pane.send("q")
    }

    /// Started from a directory that is not the repository, `c` still finds the themes.
    @Test func themesFromAnyDirectory() throws {
        let work = TemporaryDirectory()
        let pane = try TmuxPane(width: 100, height: 30,
                                command: [steertopBinary, "replay", repositoryRoot + "/recordings/example-lab-sweep.jsonl"],
                                environment: ["TERM=xterm-256color", "LANG=C.UTF-8"], directory: work.path)
        #expect(pane.waitFor("REPLAY"), "\(pane.text)")
        pane.send("c")
        #expect(pane.waitFor("theme high-contrast"), "\(pane.text)")
        pane.send("c")
        #expect(pane.waitFor("theme monochrome"), "\(pane.text)")
        pane.send("q")
    }

    /// One clock for the header, the status line and jumps, in one format, that keeps
    /// ticking after a pause and a jump; after `m` the header's mode is the switch's.
    @Test func replayKeepsOneClock() throws {
        let work = TemporaryDirectory()
        let pane = try TmuxPane(width: 110, height: 30,
                                command: [steertopBinary, "replay", "--speed", "4", repositoryRoot + "/recordings/example-lab-sweep.jsonl"],
                                environment: ["TERM=xterm-256color", "LANG=C.UTF-8"], directory: work.path)
        func clock(_ text: String) -> String? { word(text, #"REPLAY \S+ \d+:\d\d:\d\d"#, 2) }
        #expect(pane.waitUntil { clock($0) != nil }, "\(pane.text)")
        let first = clock(pane.text)
        #expect(pane.waitUntil { clock($0).map { $0 != first } ?? false }, "the clock ticks:\n\(pane.text)")

        pane.send("Space")
        #expect(pane.waitFor("PAUSED"))
        pane.send("Space")
        #expect(pane.waitForAbsence("PAUSED"))
        let resumed = clock(pane.text)
        #expect(pane.waitUntil { clock($0).map { $0 != resumed } ?? false }, "it ticks after a resume:\n\(pane.text)")

        pane.send("/")
        pane.send(["-l", "0:30"])
        pane.send("Enter")
        #expect(pane.waitFor("0:00:30/0:00:48 PAUSED"), "the header is where the jump went:\n\(pane.text)")
        #expect(pane.text.contains("at 0:00:30"), "the status says the same time:\n\(pane.text)")

        pane.send("m")
        #expect(pane.waitFor("mode change at"), "\(pane.text)")
        let text = pane.text
        let status = word(text, #"switched to \S+"#, 2)
        let header = word(text, #"· mode \S+"#, 2)
        #expect(status != nil && status == header, "header and status agree on the mode:\n\(text)")
        #expect(text.contains("at 0:00:"), "the switch's time in the same format:\n\(text)")
        pane.send("q")
    }
}

/// Replay at any size (issue 13): a recording still being written is followed, `G` goes to
/// its newest sample; rotated files given as their directory are one timeline.
@Suite struct ReplayIndexEndToEndTests {
    static let header = RecordingHeader(
        started: "2025-01-01T00:00:00Z", host: "node-a", kernel: "k", cpus: 1, intervalSeconds: 1, toolVersion: "t",
        argv: ["steertop", "record"], targets: RecordingTargets(node: "", ifaces: ["eth1"], netns: [], podIfaces: []))

    static func sample(_ t: Int) -> Record {
        .sample(Sample(t: Double(t), mode: "rps",
                       cpus: [CPUUsage(cpu: 0, usr: 1, nice: 0, sys: 2, iowait: 0, irq: 0, soft: 3, steal: 0, guest: 0, gnice: 0, idle: 90)],
                       ifaces: [InterfaceSample(name: "eth1", netns: "", rxBps: 1e9, queues: [QueueState(queue: 0, rpsCPUs: "1", rpsFlowCount: 0)])],
                       streams: [], totalBps: 1e9))
    }

    @Test func growingRecordingIsFollowed() throws {
        let work = TemporaryDirectory()
        let path = work.file("live.jsonl.zst")
        let writer = try RecordingWriter(creating: path, header: Self.header)
        for t in 1...10 { try writer.write(Self.sample(t)) }
        let pane = try TmuxPane(width: 100, height: 30, command: [steertopBinary, "replay", path],
                                environment: ["TERM=xterm-256color", "LANG=C.UTF-8"], directory: work.path)
        #expect(pane.waitFor("/0:00:10"), "\(pane.text)")
        for t in 11...40 { try writer.write(Self.sample(t)) }
        pane.send("G")
        #expect(pane.waitFor("0:00:40/0:00:40"), "G goes to the newest sample:\n\(pane.text)")
        writer.close()
        pane.send("q")
    }

    @Test func rotatedDirectoryIsOneTimeline() throws {
        let work = TemporaryDirectory()
        let rotating = try RotatingRecordingWriter(base: work.file("node-a.jsonl"), header: Self.header,
                                                   policy: RotationPolicy(maxBytes: 2048))
        for t in 1...75 {
            try rotating.write(Self.sample(t))
            try rotating.sampleDone(t: Double(t))
        }
        rotating.close()
        #expect(rotating.files.count > 3)
        let pane = try TmuxPane(width: 100, height: 30, command: [steertopBinary, "replay", work.path],
                                environment: ["TERM=xterm-256color", "LANG=C.UTF-8"], directory: work.path)
        #expect(pane.waitFor("/0:01:15"), "\(pane.text)")
        pane.send("/")
        pane.send(["-l", "0:42"])
        pane.send("Enter")
        #expect(pane.waitFor("0:00:42/0:01:15 PAUSED"), "\(pane.text)")
        pane.send("q")
    }
}
