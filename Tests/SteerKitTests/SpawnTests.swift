import Glibc
import Testing
import SteerKit

/// A spawned child gets stdin, stdout and stderr and nothing else: not even a descriptor
/// the caller holds without close-on-exec, as one a shell's `exec 9>lock; flock 9` leaves
/// (a daemonized iperf3 of the lab kept such a lock held for as long as the lab ran).
@Suite struct SpawnTests {
    /// `test -e /proc/self/fd/N` in a child: whether the child holds descriptor N.
    static func childHolds(_ fd: Int32, stdout: Int32 = -1) throws -> Bool {
        let pid = try LibC.spawn(["/usr/bin/test", "-e", "/proc/self/fd/\(fd)"], stdout: stdout).get()
        return LibC.wait(pid, block: true) == 0
    }

    @Test func onlyTheStandardDescriptorsAreInherited() throws {
        // Opened without O_CLOEXEC (Glibc's open, not LibC.open, which always sets it).
        let fd = Glibc.open("/dev/null", O_RDONLY)
        try #require(fd >= 3)
        defer { Glibc.close(fd) }
        #expect(try !Self.childHolds(fd), "the child inherited descriptor \(fd)")
        // The check itself can say yes: the descriptor given as stdout is the child's 1.
        #expect(try Self.childHolds(1, stdout: fd))
    }
}
