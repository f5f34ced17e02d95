import Testing
import SteerKit

#if canImport(Glibc)
import Glibc
#endif

let isRoot = LibC.isRoot

/// The steertop binary built beside the test bundle.
let steertopBinary: String = {
    let exe = LibC.readLink("/proc/self/exe") ?? ""
    var dir = exe.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
    if dir.hasSuffix(".xctest/Contents/MacOS") { dir = String(dir.dropLast(".xctest/Contents/MacOS".count)) }
    // Under `swift test` the runner is …/debug/steertopPackageTests.xctest (a file).
    for candidate in [dir + "/steertop", dir + "/../steertop"] where LibC.access(candidate, X_OK) {
        return candidate
    }
    return dir + "/steertop"
}()

/// The repository (this file is Tests/SteertopTests/Support.swift).
let repositoryRoot: String = {
    let parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    return parts.dropLast(3).joined(separator: "/")
}()

/// A state directory of the test's own, so that snapshots and lab state never mix with a
/// user's (/var/lib/steertop).
final class TestState {
    let dir = TemporaryDirectory()
    var path: String { dir.path }
    var environment: [String] {
        LibC.currentEnvironment().filter { !$0.hasPrefix("STEERTOP_STATE_DIR=") && !$0.hasPrefix("STEERTOP_RECORDINGS=") }
            + ["STEERTOP_STATE_DIR=\(dir.path)", "STEERTOP_RECORDINGS=\(dir.path)/recordings"]
    }
}

/// Runs the steertop binary with `args`.
@discardableResult
func steertop(_ args: [String], state: TestState, input: String? = nil, timeout: Double = 120) throws -> CommandOutput {
    try Command.run([steertopBinary] + args, input: input, timeout: timeout, environment: state.environment)
}

/// Reads a file inside a namespace the way a person would: `ip netns exec NS cat PATH`.
func catInNetns(_ netns: String, _ path: String) throws -> String {
    let argv = netns.isEmpty ? ["cat", path] : ["ip", "netns", "exec", netns, "cat", path]
    return try Command.check(argv).trimmingCharacters()
}

/// The lab, up for the length of a test: torn down (and the global
/// rps_sock_flow_entries put back) when the value goes away, even if the test failed.
final class LabFixture {
    let state: TestState
    let pods: Int
    let sockFlowEntries: String

    init(pods: Int, state: TestState = TestState()) throws {
        self.state = state
        self.pods = pods
        sockFlowEntries = try catInNetns("", SteeringFile.sockFlowEntriesPath)
        let r = try steertop(["lab", "up", "--pods", String(pods)], state: state)
        guard r.status == 0 else {
            _ = try? steertop(["lab", "down"], state: state)
            throw SteerError.commandFailed(command: ["steertop", "lab", "up"], status: r.status, output: r.stderr)
        }
    }

    deinit {
        _ = try? steertop(["lab", "down"], state: state)
        if let now = try? catInNetns("", SteeringFile.sockFlowEntriesPath), now != sockFlowEntries,
           let f = try? KernelFile(SteeringFile.sockFlowEntriesPath, writable: true) {
            try? f.write(sockFlowEntries)
        }
    }

    func serverPod(_ k: Int) -> LabPod { LabPod(side: .server, index: k) }
}

/// Polls `condition` every 0.1 s until it holds: a test waits for what it needs (a line
/// written, a screen shown), never a fixed time. False when `seconds` pass first.
@discardableResult
func waitUntil(seconds: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = LibC.monotonic() + seconds
    while LibC.monotonic() < deadline {
        if try condition() { return true }
        LibC.sleep(0.1)
    }
    return try condition()
}

/// The lines of a recording so far with `"type":"<type>"` (0 while it does not exist).
func recordCount(_ path: String, type: String = "sample") -> Int {
    guard case .success(let text) = LibC.readText(path) else { return 0 }
    return text.split(separator: "\n").filter { $0.contains("\"type\":\"\(type)\"") }.count
}

/// Every test that uses the lab (its namespaces have fixed names) runs in this suite, one
/// after another.
@Suite(.serialized, .enabled(if: isRoot, "the lab needs root"))
struct LabTests {}

/// A program in a tmux pane of a tmux server of the test's own, driven as a person
/// would: keys in, the screen out. The server is killed when the value goes away.
final class TmuxPane {
    let socket = "steer-test-\(LibC.pid)-\(Int.random(in: 0..<1_000_000))"
    let session = "steertop"
    let config = TemporaryDirectory()

    init(width: Int, height: Int, command: [String], environment: [String] = [], directory: String) throws {
        // The pane must stay after the program exits, so the test can read what it said.
        let conf = config.write("tmux.conf", "set -g remain-on-exit on\n")
        var argv = ["tmux", "-L", socket, "-f", conf, "new-session", "-d", "-s", session,
                    "-x", String(width), "-y", String(height), "-c", directory]
        for e in environment { argv += ["-e", e] }
        // A recording started in the pane (`r`, or a random byte that is `r`) goes to the
        // pane's own directory unless the test names one: never into the repository's
        // recordings/, where it would outlive the test.
        if !environment.contains(where: { $0.hasPrefix("STEERTOP_RECORDINGS=") }) {
            argv += ["-e", "STEERTOP_RECORDINGS=\(config.file("recordings"))"]
        }
        argv += command
        try Command.check(argv)
    }

    deinit {
        _ = try? Command.run(["tmux", "-L", socket, "kill-server"])
    }

    /// The screen as lines (trailing spaces trimmed by tmux).
    func screen() -> [String] {
        let out = (try? Command.run(["tmux", "-L", socket, "capture-pane", "-p", "-t", session]))?.stdout ?? ""
        return out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// The screen and what scrolled off it, with lines the terminal wrapped joined (for
    /// messages longer than the pane is wide).
    var text: String {
        (try? Command.run(["tmux", "-L", socket, "capture-pane", "-p", "-J", "-S", "-100", "-t", session]))?.stdout ?? ""
    }

    func send(_ keys: String...) { send(keys) }

    /// tmux send-keys with these arguments (key names, or `-l` text, or `-H` hex bytes).
    func send(_ keys: [String]) {
        _ = try? Command.run(["tmux", "-L", socket, "send-keys", "-t", session] + keys)
    }

    /// Waits until the screen contains `text`; false after `seconds`.
    @discardableResult
    func waitFor(_ text: String, seconds: Double = 10) -> Bool {
        waitUntil(seconds: seconds) { $0.contains(text) }
    }

    /// Waits until `condition` holds for the screen's text; false after `seconds`.
    @discardableResult
    func waitUntil(seconds: Double = 10, _ condition: (String) -> Bool) -> Bool {
        SteertopTests.waitUntil(seconds: seconds) { condition(text) }
    }

    /// Waits until the screen no longer contains `text`; false after `seconds`.
    @discardableResult
    func waitForAbsence(_ text: String, seconds: Double = 10) -> Bool {
        waitUntil(seconds: seconds) { !$0.contains(text) }
    }

    func resize(width: Int, height: Int) {
        _ = try? Command.run(["tmux", "-L", socket, "resize-window", "-t", session, "-x", String(width), "-y", String(height)])
    }

    /// The pid of the program in the pane.
    var pid: Int32? {
        let out = (try? Command.run(["tmux", "-L", socket, "display-message", "-p", "-t", session, "#{pane_pid}"]))?.stdout ?? ""
        return Int32(out.trimmingCharacters())
    }

    /// Kills the session: tmux sends SIGHUP to the pane's program, as a dropped SSH
    /// connection does to a shell's jobs.
    func hangUp() {
        _ = try? Command.run(["tmux", "-L", socket, "kill-session", "-t", session])
    }
}
