import Testing
import SteerKit
@testable import steertop

/// Parse-only tests: the command structs as the argument parser builds them.
@Suite struct ParseTests {
    @Test func defaultSubcommandIsLive() throws {
        let command = try Steertop.parseAsRoot([])
        #expect(command is Steertop.Live)
    }

    @Test func applyTakesModesAndOptions() throws {
        let apply = try #require(try Steertop.parseAsRoot(["apply", "rfs+", "--cpus", "0-1", "--flow-entries", "4096", "--dry-run"]) as? Steertop.Apply)
        #expect(apply.mode.mode == .rfsPlus)
        #expect(apply.dryRun)
        #expect(apply.modeOptions.cpus == "0-1")
        #expect(apply.modeOptions.flowEntries == 4096)
    }

    @Test(arguments: [
        ["apply", "turbo"],
        ["apply", "rps", "--cpus", "x"],
        ["apply", "rps", "--flow-entries", "0"],
        ["apply", "rps", "--iface", "eth1/../../etc"],
        ["apply", "rps", "--netns", ".."],
        ["record", "--duration", "0"],
        ["record", "--interval", "-1"],
        ["sample", "--interval", "0"],
        ["lab", "up", "--pods", "0"],
        ["lab", "traffic", "--duration", "-2"],
        ["lab", "traffic", "--duration", "inf", "--detach"],
        ["lab", "traffic", "--duration", "1e30", "--detach"],
        ["sweep", "--duration", "inf"],
        ["sweep", "--settle", "nan"],
        ["sweep", "--replicas", "100"],
        ["record", "--duration", "inf"],
        ["apply", "rps", "--flow-entries", "-5"],
        ["apply", "rps", "--iface", ""],
        ["apply", "rps", "--iface", ","],
        ["status", "--netns", " "],
        ["record", "--iperf-log", "/tmp"],
        ["replay", "x.jsonl", "--speed", "0"],
    ])
    func badInputIsRejectedWhileParsing(args: [String]) {
        #expect(throws: (any Error).self) { try Steertop.parseAsRoot(args) }
    }

    @Test func namesThatWouldEscapeAPathAreRefused() {
        for name in ["a/b", "..", ".", "", "a\0b", "eth0 ", "x:y", String(repeating: "e", count: 16)] {
            #expect(throws: SteerError.self, "\(name)") { try Names.checkInterface(name) }
        }
        for name in ["a/b", "..", "x/../y", "", "a\0b", "a\nb"] {
            #expect(throws: SteerError.self, "\(name)") { try Names.checkNamespace(name) }
        }
        #expect((try? Names.checkInterface("vxlan.calico")) != nil)
        #expect((try? Names.checkNamespace("cni-1f2e3d4c-aaaa-bbbb")) != nil)
        #expect(throws: SteerError.self) { try SteeringFile(netns: "", path: "/sys/class/net/../../etc/queues/rx-0/rps_cpus", isPod: false) }
        #expect(throws: SteerError.self) { try SteeringFile(netns: "", path: "/etc/passwd", isPod: false) }
        #expect(throws: SteerError.self) { try SteeringFile(netns: "x", path: SteeringFile.sockFlowEntriesPath, isPod: true) }
    }
}

/// The built binary, as a user runs it: one clear line and a non-zero exit for bad input.
@Suite struct BadInputTests {
    func run(_ args: [String], asNobody: Bool = false) throws -> CommandOutput {
        let state = TestState()
        if asNobody {
            return try Command.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", steertopBinary] + args,
                                   environment: state.environment)
        }
        return try steertop(args, state: state)
    }

    func expectOneLine(_ r: CommandOutput, _ words: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status != 0, sourceLocation: sourceLocation)
        let lines = r.stderr.split(separator: "\n").filter { !$0.hasPrefix("target:") }
        #expect(lines.count == 1, "\(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.contains(words), "\(r.stderr)", sourceLocation: sourceLocation)
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Stack dump"), sourceLocation: sourceLocation)
    }

    @Test func anEmptyInterfaceListIsRefusedNotAll() throws {
        // An unset shell variable (--iface "$IFACES") must not mean every interface.
        expectOneLine(try run(["apply", "rps", "--host", "--iface", "", "--dry-run"]), "an empty interface list names nothing")
    }

    @Test func unknownMode() throws {
        expectOneLine(try run(["apply", "turbo"]), "unknown mode \"turbo\"; choose one of baseline, rps, rps+, rfs, rfs+")
    }

    @Test func cpusOutsideTheOnlineOnes() throws {
        expectOneLine(try run(["apply", "rps", "--host", "--iface", "lo", "--cpus", "0-4095", "--dry-run"]), "outside the online CPUs")
    }

    @Test func globThatMatchesNothing() throws {
        let r = try run(["apply", "rps", "--iface", "nothing-like-this*"])
        expectOneLine(r, "no interface matches nothing-like-this*")
    }

    @Test func pathCharactersInNames() throws {
        expectOneLine(try run(["apply", "rps", "--iface", "../etc"]), "invalid name")
        expectOneLine(try run(["status", "--netns", "a/b"]), "invalid name")
    }

    @Test(.enabled(if: isRoot, "needs root to drop to nobody"))
    func notRoot() throws {
        expectOneLine(try run(["apply", "rps", "--iface", "lo"], asNobody: true), "steertop apply needs root: run it with sudo")
        expectOneLine(try run(["lab", "up"], asNobody: true), "needs root")
        expectOneLine(try run(["restore"], asNobody: true), "needs root")
    }

    @Test func recordIntoAMissingDirectory() throws {
        expectOneLine(try run(["record", "--host", "--duration", "1", "--out", "/nonexistent/dir/x.jsonl"]),
                      "directory /nonexistent/dir does not exist")
    }

    @Test(.enabled(if: isRoot, "restore checks for root before it looks for a snapshot"))
    func restoreWithoutSnapshot() throws {
        expectOneLine(try run(["restore", "--host"]), "no snapshot at")
    }
}

extension LabTests {
    /// `apply rps` may write rps_sock_flow_entries, which is global (not per namespace):
    /// inside the serialized lab suite, so that it never runs beside a test that sets it.
    @Suite struct ReadOnlySysfs {
        @Test func readOnlySysfs() throws {
            // A container without privileges: /sys mounted read-only (the mount's flag: a bind
            // remount, which leaves the superblock alone; `remount,ro` alone would turn the
            // host's sysfs superblock read-only for everyone) and no CAP_SYS_ADMIN, so nothing
            // can make it writable. The script is the test's own; the tool never runs a shell.
            let state = TestState()
            let r = try Command.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                                     "mount -o remount,bind,ro /sys && exec setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin \"$0\" apply rps --host --iface lo",
                                     steertopBinary],
                                    environment: state.environment)
            #expect(r.status != 0)
            #expect(r.stdout.contains("FAILED to apply rps"), "\(r.stdout)")
            #expect(r.stdout.contains("read-only file system"))
            #expect(r.stdout.contains("no write took effect"))
            #expect(CPUSet(mask: try catInNetns("", "/sys/class/net/lo/queues/rx-0/rps_cpus"))?.isEmpty == true)
        }
    }
}
