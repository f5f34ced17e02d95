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

/// A state directory of the test's own, so that snapshots and lab state never mix with a
/// user's (/var/lib/steertop).
final class TestState {
    let dir = TemporaryDirectory()
    var path: String { dir.path }
    var environment: [String] {
        LibC.currentEnvironment().filter { !$0.hasPrefix("STEERTOP_STATE_DIR=") } + ["STEERTOP_STATE_DIR=\(dir.path)"]
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

/// Every test that uses the lab (its namespaces have fixed names) runs in this suite, one
/// after another.
@Suite(.serialized, .enabled(if: isRoot, "the lab needs root"))
struct LabTests {}
