import Testing
import SteerKit

extension LabTests {
    /// The real dashboard in tmux, driven with keys as a person would.
    @Suite struct Dashboard {
        @Test func liveSwitchRecordReplayResizeHangUp() throws {
            let lab = try LabFixture(pods: 2)
            let work = TemporaryDirectory()
            // Started in a directory of its own and told where recordings go: nothing lands in
            // the repository (the binary runs from its build tree).
            let env = ["STEERTOP_STATE_DIR=\(lab.state.path)", "STEERTOP_RECORDINGS=\(work.file("recordings"))",
                       "TERM=xterm-256color", "LANG=C.UTF-8"]

            // Live on the lab with traffic.
            let live = try TmuxPane(width: 100, height: 30, command: [steertopBinary, "--traffic", "2"],
                                    environment: env, directory: work.path)
            #expect(live.waitFor("pod1/", seconds: 15), "streams appear:\n\(live.text)")
            var screen = live.text
            #expect(screen.contains("LIVE"))
            #expect(screen.contains("the lab: steer-server and 2 pods"))
            #expect(screen.contains("vxlan.calico"))
            #expect(screen.contains("mode baseline"))
            #expect(screen.contains("Gb/s") || screen.contains("Mb/s"))

            // 4 = rfs: the status line says so, and the files read back rfs.
            live.send("4")
            #expect(live.waitFor("switched to rfs"), "\(live.text)")
            #expect(try catInNetns("", SteeringFile.sockFlowEntriesPath) == "32768")
            #expect(try catInNetns("steer-server", "/sys/class/net/vxlan.calico/queues/rx-0/rps_flow_cnt") == "32768")
            #expect(try catInNetns("steer-server", "/sys/class/net/eth1/queues/rx-0/rps_flow_cnt") == "32768")
            #expect(try catInNetns("steer-server-pod1", "/sys/class/net/eth0/queues/rx-0/rps_flow_cnt") == "0")
            #expect(live.waitFor("mode rfs"), "the header shows the mode read back:\n\(live.text)")

            // r records; a switch while recording writes a mode record; r stops.
            live.send("r")
            #expect(live.waitFor("recording to \(work.file("recordings"))/"), "the full path:\n\(live.text)")
            func recording() -> String? {
                (try? LibC.listDirectory(work.file("recordings")).get())?.first.map { work.file("recordings/" + $0) }
            }
            #expect(waitUntil { recording().map { recordCount($0) >= 2 } ?? false }, "two samples recorded")
            live.send("2")
            #expect(live.waitFor("switched to rps"))
            // A sample after the mode record: the recording shows the new mode.
            #expect(waitUntil {
                guard let path = recording(), case .success(let text) = LibC.readText(path) else { return false }
                let lines = text.split(separator: "\n")
                guard let m = lines.firstIndex(where: { $0.contains("\"type\":\"mode\"") }) else { return false }
                return lines[(m + 1)...].contains { $0.contains("\"type\":\"sample\"") }
            }, "a sample after the switch")
            live.send("r")
            #expect(live.waitFor("samples to \(work.file("recordings"))/"))
            let files = try LibC.listDirectory(work.file("recordings")).get()
            #expect(files.count == 1)
            let path = work.file("recordings/" + files[0])
            let recording = try RecordingReader.read(path)
            #expect(recording.problems.isEmpty && !recording.truncatedLastLine)
            let samples = recording.records.compactMap { r -> SteerKit.Sample? in if case .sample(let s) = r { return s } else { return nil } }
            let modes = recording.records.compactMap { r -> ModeChange? in if case .mode(let m) = r { return m } else { return nil } }
            #expect(samples.count >= 3)
            #expect(samples.first?.mode == "rfs")
            #expect(modes.map(\.to) == ["rps"] && modes.first?.from == "rfs" && modes.first?.ok == true)
            #expect(samples.contains { ($0.totalBps ?? 0) > 1e8 }, "the recording holds throughput")

            // The other keys: help, theme, interval, history, pause.
            live.send("?")
            #expect(live.waitFor("switch the steering mode"), "help:\n\(live.text)")
            live.send("?")
            live.send("c")
            #expect(live.waitFor("theme "), "\(live.text)")
            live.send("+")
            #expect(live.waitFor("every 2s"), "\(live.text)")
            live.send("-")
            #expect(live.waitFor("every 1s"))
            live.send("Left")
            live.send("Left")
            #expect(live.waitFor("HISTORY -"), "\(live.text)")
            live.send("End")
            #expect(live.waitFor("LIVE"))
            live.send("Space")
            #expect(live.waitFor("PAUSED"))
            live.send("Space")
            #expect(live.waitFor("LIVE"))

            // Resize: the layout follows; too small says so.
            live.resize(width: 70, height: 20)
            #expect(live.waitFor("steertop", seconds: 3))
            #expect(waitUntil(seconds: 5) { live.screen().allSatisfy { $0.count <= 70 } && live.text.contains("CPU") },
                    "the layout follows the new size")
            screen = live.text
            #expect(live.screen().allSatisfy { $0.count <= 70 }, "\(screen)")
            #expect(screen.contains("CPU"))
            live.resize(width: 50, height: 12)
            #expect(live.waitFor("terminal too small (needs 60x15)", seconds: 4), "\(live.text)")
            live.resize(width: 100, height: 30)
            #expect(live.waitFor("Interfaces", seconds: 4))

            // A dropped session while recording: SIGHUP ends it cleanly, the file is whole.
            live.send("r")
            #expect(live.waitFor("recording to"))
            // Paused, the screen keeps its sample but the recorder's line count moves on.
            live.send("Space")
            #expect(live.waitFor("PAUSED"))
            func recLines(_ text: String) -> Int? {
                guard let m = text.firstMatch(of: try! Regex(#"REC \S+ (\d+) lines"#)) else { return nil }
                return Int(text[m.range].split(separator: " ")[2])
            }
            let pausedAt = recLines(live.text) ?? 0
            #expect(live.waitUntil { (recLines($0) ?? 0) >= pausedAt + 2 }, "REC counts on while paused:\n\(live.text)")
            #expect(waitUntil {
                let names = (try? LibC.listDirectory(work.file("recordings")).get()) ?? []
                return names.filter { $0 != files[0] }.contains { recordCount(work.file("recordings/" + $0)) >= 1 }
            }, "the second recording has a sample")
            let pid = try #require(live.pid)
            live.hangUp()
            #expect(Processes.waitForExit([pid], seconds: 10), "steertop exits on SIGHUP")
            let second = try LibC.listDirectory(work.file("recordings")).get().filter { $0 != files[0] }
            #expect(second.count == 1)
            let last = try RecordingReader.read(work.file("recordings/" + second[0]))
            #expect(last.problems.isEmpty && !last.truncatedLastLine)
            #expect(last.records.contains { if case .sample = $0 { return true } else { return false } })
            #expect(Traffic.running(state: StateDirectory(path: lab.state.path)).isEmpty, "the dashboard's clients are stopped")

            // Replay that first recording: recorded throughput and the mode change show.
            let replay = try TmuxPane(width: 100, height: 30, command: [steertopBinary, "replay", path],
                                      environment: env, directory: work.path)
            #expect(replay.waitFor("REPLAY"), "\(replay.text)")
            #expect(replay.text.contains("mode rfs"))
            #expect(replay.text.contains("total") && replay.text.contains("Gb/s"))
            replay.send("m")
            #expect(replay.waitFor("switched to rps"), "\(replay.text)")
            #expect(replay.waitFor("mode rps"))
            replay.send("q")
        }

        @Test func refusesWithoutATerminal() throws {
            let state = TestState()
            let r = try steertop(["live", "--host"], state: state)
            #expect(r.status != 0)
            #expect(r.stderr.contains("standard output is not a terminal") && r.stderr.contains("steertop record"))
        }

        @Test func dumbTerminalAndBadTheme() throws {
            let work = TemporaryDirectory()
            // tmux sets TERM for its panes: env sets it for the program alone.
            let dumb = try TmuxPane(width: 80, height: 24, command: ["env", "TERM=dumb", steertopBinary, "--host"],
                                    directory: work.path)
            #expect(dumb.waitFor("TERM=dumb cannot draw a dashboard"), "\(dumb.text)")
            let theme = work.file("bad.theme")
            _ = LibC.writeFileAtomically(theme, "# a theme with one bad line\nsoft = purpel\nusr = green\n")
            let pane = try TmuxPane(width: 80, height: 24, command: [steertopBinary, "--host", "--theme", theme],
                                    environment: ["TERM=xterm-256color"], directory: work.path)
            #expect(pane.waitFor("bad.theme:2"), "\(pane.text)")
            #expect(pane.text.contains("purpel"))
            #expect(pane.text.contains("CPU"))
            pane.send("q")
        }

        @Test func replayOfSomethingElse() throws {
            let work = TemporaryDirectory()
            let notRecording = work.write("x.jsonl", "{\"hello\": 1}\n")
            let state = TestState()
            let pane = try TmuxPane(width: 80, height: 24, command: [steertopBinary, "replay", notRecording],
                                    environment: ["TERM=xterm-256color", "STEERTOP_STATE_DIR=\(state.path)"], directory: work.path)
            #expect(pane.waitFor("is not a steertop recording"), "\(pane.text)")

            // A recording with a malformed line: replayed, the line counted on the screen.
            let example = try LibC.readText(repositoryRoot + "/recordings/example-lab-sweep.jsonl").get()
            var lines = example.split(separator: "\n").map(String.init)
            lines.insert("{\"type\": \"sample\", \"t\": oops}", at: 5)
            let damaged = work.write("damaged.jsonl", lines.joined(separator: "\n") + "\n")
            let replay = try TmuxPane(width: 100, height: 30, command: [steertopBinary, "replay", damaged],
                                      environment: ["TERM=xterm-256color"], directory: work.path)
            #expect(replay.waitFor("skipped 1 line: 1 malformed JSON (line 6)"), "\(replay.text)")
            #expect(replay.text.contains("REPLAY"))
            replay.send("q")
        }
    }
}
