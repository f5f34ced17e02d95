#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CSteerLinux
import SystemPackage

/// Every libc call of SteerKit goes through here: one seam, and every retry on EINTR in
/// one place (`retrying`). Higher-level types (KernelFile, Netns, ChildProcess, ...) call
/// only these.
public enum LibC {
    /// Runs `body` until it does not fail with EINTR; returns its result or the errno.
    @inline(__always)
    static func retrying<T: FixedWidthInteger>(_ body: () -> T) -> Result<T, Errno> {
        while true {
            let rc = body()
            if rc != -1 { return .success(rc) }
            let e = Errno(rawValue: errno)
            if e != .interrupted { return .failure(e) }
        }
    }

    // MARK: files

    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) -> Result<Int32, Errno> {
        retrying { Glibc.open(path, flags | O_CLOEXEC, mode) }
    }

    public static func openat(_ dirfd: Int32, _ path: String, _ flags: Int32) -> Result<Int32, Errno> {
        retrying { Glibc.openat(dirfd, path, flags | O_CLOEXEC) }
    }

    public static func close(_ fd: Int32) {
        // Never retry close(2) on Linux: the descriptor is released even on EINTR.
        _ = Glibc.close(fd)
    }

    public static func pread(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, offset: Int) -> Result<Int, Errno> {
        retrying { Glibc.pread(fd, buffer.baseAddress, buffer.count, off_t(offset)) }
    }

    /// lseek(2) to `offset` from the start.
    public static func seek(_ fd: Int32, _ offset: Int64) -> Result<Void, Errno> {
        retrying { Glibc.lseek(fd, off_t(offset), SEEK_SET) }.map { _ in () }
    }

    public static func read(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Result<Int, Errno> {
        retrying { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// Writes all of `bytes`, looping over short writes.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Result<Void, Errno> {
        var done = 0
        while done < bytes.count {
            switch retrying({ Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done) }) {
            case .success(let n): done += n
            case .failure(let e): return .failure(e)
            }
        }
        return .success(())
    }

    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Result<Void, Errno> {
        bytes.withUnsafeBytes { writeAll(fd, $0) }
    }

    /// One write(2) of the whole value at offset 0, as sysfs and sysctl files want it.
    public static func pwriteOnce(_ fd: Int32, _ value: String) -> Result<Void, Errno> {
        var v = value
        return v.withUTF8 { p in
            retrying { Glibc.pwrite(fd, p.baseAddress, p.count, 0) }.map { _ in () }
        }
    }

    public static func fsync(_ fd: Int32) { _ = Glibc.fsync(fd) }

    /// ftruncate(2).
    public static func ftruncate(_ fd: Int32, _ size: Int) -> Result<Void, Errno> {
        retrying { Glibc.ftruncate(fd, off_t(size)) }.map { _ in () }
    }

    public static func rename(_ from: String, _ to: String) -> Result<Void, Errno> {
        retrying { Glibc.rename(from, to) }.map { _ in () }
    }

    public static func unlink(_ path: String) -> Result<Void, Errno> {
        retrying { Glibc.unlink(path) }.map { _ in () }
    }

    public static func mkdir(_ path: String, mode: mode_t = 0o755) -> Result<Void, Errno> {
        retrying { Glibc.mkdir(path, mode) }.map { _ in () }
    }

    public struct FileStatus: Sendable, Equatable {
        public var device: UInt64
        public var inode: UInt64
        public var size: Int64
        public var isDirectory: Bool
        public var isRegular: Bool
        public var isSocket: Bool = false
        public var modified: Double
        public var links: UInt64
        /// st_mode & S_IFMT.
        public var type: UInt32 = 0
    }

    static func status(_ st: stat) -> FileStatus {
        FileStatus(
            device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size),
            isDirectory: (st.st_mode & S_IFMT) == S_IFDIR, isRegular: (st.st_mode & S_IFMT) == S_IFREG,
            isSocket: (st.st_mode & S_IFMT) == S_IFSOCK,
            modified: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9, links: UInt64(st.st_nlink),
            type: UInt32(st.st_mode & S_IFMT))
    }

    public static func stat(_ path: String) -> Result<FileStatus, Errno> {
        var st = Glibc.stat()
        return retrying { fstatat(AT_FDCWD, path, &st, 0) }.map { _ in status(st) }
    }

    public static func fstat(_ fd: Int32) -> Result<FileStatus, Errno> {
        var st = Glibc.stat()
        return retrying { Glibc.fstat(fd, &st) }.map { _ in status(st) }
    }

    public static func access(_ path: String, _ mode: Int32) -> Bool {
        Glibc.access(path, mode) == 0
    }

    /// The entry names of a directory (without "." and ".."), read through a descriptor
    /// relative to `dirfd` (AT_FDCWD for a plain path).
    public static func listDirectory(_ path: String, relativeTo dirfd: Int32 = AT_FDCWD) -> Result<[String], Errno> {
        let fd: Int32
        switch openat(dirfd, path, O_RDONLY | O_DIRECTORY) {
        case .success(let f): fd = f
        case .failure(let e): return .failure(e)
        }
        guard let dir = fdopendir(fd) else {
            let e = Errno(rawValue: errno)
            close(fd)
            return .failure(e)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { p in
                p.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return .success(names)
    }

    /// Reads a whole (small) file into a String, at most `limit` bytes (EFBIG beyond:
    /// /proc and /sys files, the lab's state). Only a regular file is read: it is opened
    /// with O_NONBLOCK so that a FIFO or a device never blocks, then refused (EINVAL)
    /// unless fstat says regular. Callers that need a message naming the bound use
    /// `BoundedFile.text`.
    public static func readText(_ path: String, relativeTo dirfd: Int32 = AT_FDCWD,
                                limit: Int = BoundedFile.Kind.kernelFile.limit) -> Result<String, Errno> {
        switch BoundedFile.read(path, relativeTo: dirfd, limit: limit) {
        case .success(let bytes): return .success(String(decoding: bytes, as: UTF8.self))
        case .failure(.system(let e)): return .failure(e)
        case .failure(.notRegular): return .failure(.invalidArgument)
        case .failure(.tooLarge): return .failure(.fileTooLarge)
        }
    }

    /// Writes a file atomically: a temporary file beside it, fsync, then rename.
    public static func writeFileAtomically(_ path: String, _ text: String, mode: mode_t = 0o644) -> Result<Void, Errno> {
        let tmp = path + ".tmp-\(getpid())"
        let fd: Int32
        switch open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode: mode) {
        case .success(let f): fd = f
        case .failure(let e): return .failure(e)
        }
        let written = writeAll(fd, Array(text.utf8))
        fsync(fd)
        close(fd)
        if case .failure(let e) = written {
            _ = unlink(tmp)
            return .failure(e)
        }
        return rename(tmp, path)
    }

    /// mkdir -p.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) -> Result<Void, Errno> {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            switch mkdir(current, mode: mode) {
            case .success, .failure(.fileExists): continue
            case .failure(let e): return .failure(e)
            }
        }
        return .success(())
    }

    /// fnmatch(3) without flags: shell-style globs (*, ?, [...]) over a whole name.
    public static func globMatches(_ pattern: String, _ name: String) -> Bool {
        fnmatch(pattern, name, 0) == 0
    }

    /// readlink(2).
    public static func readLink(_ path: String) -> String? {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = Glibc.readlink(path, &buf, buf.count - 1)
        guard n >= 0 else { return nil }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: processes and identity

    public static var isRoot: Bool { geteuid() == 0 }
    public static var pid: Int32 { getpid() }

    public static func hostName() -> String {
        var u = utsname()
        _ = Glibc.uname(&u)
        return withUnsafePointer(to: u.nodename) { p in
            p.withMemoryRebound(to: CChar.self, capacity: 65) { String(cString: $0) }
        }
    }

    public static func kernelRelease() -> String {
        var u = utsname()
        _ = Glibc.uname(&u)
        return withUnsafePointer(to: u.release) { p in
            p.withMemoryRebound(to: CChar.self, capacity: 65) { String(cString: $0) }
        }
    }

    public static func environment(_ name: String) -> String? {
        guard let v = getenv(name) else { return nil }
        return String(cString: v)
    }

    /// The effective user id (geteuid(2)).
    public static func effectiveUserID() -> UInt32 { UInt32(geteuid()) }

    /// flock(2) LOCK_EX | LOCK_NB on a file made if missing: the descriptor that holds the
    /// lock (closing it releases it), or EWOULDBLOCK when another process holds it.
    public static func lockExclusive(_ path: String) -> Result<Int32, Errno> {
        switch open(path, O_RDWR | O_CREAT | O_CLOEXEC, mode: 0o644) {
        case .failure(let e): return .failure(e)
        case .success(let fd):
            if case .failure(let e) = retrying({ flock(fd, LOCK_EX | LOCK_NB) }) {
                close(fd)
                return .failure(e)
            }
            return .success(fd)
        }
    }

    public static func configuredCPUs() -> Int { Int(sysconf(Int32(_SC_NPROCESSORS_CONF))) }
    public static func onlineCPUCount() -> Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    public static func clockTicksPerSecond() -> Int { Int(sysconf(Int32(_SC_CLK_TCK))) }

    /// kill(2); true when the signal was delivered or the process is already gone.
    @discardableResult
    public static func kill(_ pid: Int32, _ signal: Int32) -> Bool {
        Glibc.kill(pid, signal) == 0 || errno == ESRCH
    }

    public static func processExists(_ pid: Int32) -> Bool {
        Glibc.kill(pid, 0) == 0 || errno == EPERM
    }

    /// waitpid(2); nil while the child is still running (with `block` false).
    public static func wait(_ pid: Int32, block: Bool) -> Int32? {
        var status: Int32 = 0
        let rc = retrying { waitpid(pid, &status, block ? 0 : WNOHANG) }
        switch rc {
        case .success(0): return nil
        case .success: break
        case .failure: return -1
        }
        // WIFEXITED / WEXITSTATUS by hand: Swift does not import the macros.
        if status & 0x7f == 0 { return (status >> 8) & 0xff }
        return 128 + (status & 0x7f)
    }

    /// Spawns `argv` (an argument array: never a shell) with stdin, stdout and stderr
    /// taken from the given descriptors (-1 = /dev/null) and no other descriptor. `newSession` puts the child in a
    /// session of its own, so that a terminal's SIGHUP or ^C does not reach it.
    public static func spawn(
        _ argv: [String], stdin: Int32 = -1, stdout: Int32 = -1, stderr: Int32 = -1,
        newSession: Bool = false, environment: [String]? = nil
    ) -> Result<Int32, Errno> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (fd, target) in [(stdin, Int32(0)), (stdout, 1), (stderr, 2)] {
            if fd >= 0 {
                posix_spawn_file_actions_adddup2(&actions, fd, target)
            } else {
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            }
        }
        // Nothing else is inherited: the child gets stdin, stdout and stderr only.
        let rcClose = csteer_spawn_close_others(&actions)
        if rcClose != 0 { return .failure(Errno(rawValue: rcClose)) }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        let rc0 = csteer_spawnattr_detached(&attr, newSession ? 1 : 0)
        if rc0 != 0 { return .failure(Errno(rawValue: rc0)) }

        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        let envStrings: [String] = environment ?? currentEnvironment()
        let cEnv = envStrings.map { strdup($0) } + [nil]
        defer { cEnv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = cArgs.withUnsafeBufferPointer { a in
            cEnv.withUnsafeBufferPointer { e in
                posix_spawnp(&pid, argv[0], &actions, &attr, a.baseAddress!, e.baseAddress!)
            }
        }
        return rc == 0 ? .success(pid) : .failure(Errno(rawValue: rc))
    }

    public static func currentEnvironment() -> [String] {
        var out: [String] = []
        var p = environ
        while let entry = p.pointee {
            out.append(String(cString: entry))
            p += 1
        }
        return out
    }

    /// A pipe whose ends are close-on-exec: (read, write).
    public static func pipe(nonBlocking: Bool = false) -> Result<(Int32, Int32), Errno> {
        var fds: [Int32] = [0, 0]
        let flags = O_CLOEXEC | (nonBlocking ? O_NONBLOCK : 0)
        return retrying { csteer_pipe2(&fds, flags) }.map { _ in (fds[0], fds[1]) }
    }

    public static func setNonBlocking(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
    }

    /// Clears O_NONBLOCK (a file opened without blocking to fstat it first).
    public static func setBlocking(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
    }

    public static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    // MARK: time

    /// CLOCK_MONOTONIC in seconds.
    public static func monotonic() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// CLOCK_REALTIME as (seconds, nanoseconds).
    public static func wallClock() -> (seconds: Int, nanoseconds: Int) {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return (Int(ts.tv_sec), Int(ts.tv_nsec))
    }

    /// Calendar fields of a UTC time (gmtime_r).
    public static func utcFields(_ seconds: Int) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        var t = time_t(seconds)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        return (Int(tmv.tm_year) + 1900, Int(tmv.tm_mon) + 1, Int(tmv.tm_mday), Int(tmv.tm_hour), Int(tmv.tm_min), Int(tmv.tm_sec))
    }

    /// Seconds since the epoch of a UTC calendar time (timegm).
    public static func timegmUTC(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int {
        var tmv = tm()
        tmv.tm_year = Int32(year - 1900); tmv.tm_mon = Int32(month - 1); tmv.tm_mday = Int32(day)
        tmv.tm_hour = Int32(hour); tmv.tm_min = Int32(minute); tmv.tm_sec = Int32(second)
        return Int(timegm(&tmv))
    }

    /// Sleeps for `seconds` (restarting after signals unless `interruptible`); returns
    /// false when a signal interrupted an interruptible sleep.
    @discardableResult
    public static func sleep(_ seconds: Double, interruptible: Bool = false) -> Bool {
        guard seconds > 0 else { return true }
        var req = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        var rem = timespec()
        while nanosleep(&req, &rem) == -1 {
            if errno != EINTR || interruptible { return false }
            req = rem
        }
        return true
    }

    /// poll(2) on `fds` for reading; returns which are readable (or hung up). Empty after
    /// the timeout or a signal.
    public static func pollReadable(_ fds: [Int32], timeout seconds: Double) -> [Int32] {
        var pfds = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        let ms = seconds < 0 ? -1 : Int32(min(seconds * 1000, 1_000_000).rounded(.up))
        let rc = Glibc.poll(&pfds, nfds_t(pfds.count), ms)
        guard rc > 0 else { return [] }
        return pfds.filter { $0.revents != 0 }.map(\.fd)
    }

    // MARK: signals

    /// Installs a handler for `signals` that writes the signal number to `fd` (the self-
    /// pipe trick: the handler is async-signal-safe and the event loop sees the byte).
    public static func forwardSignals(_ signals: [Int32], to fd: Int32) {
        signalPipeWriteEnd = fd
        for sig in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { sig in
                var byte = UInt8(truncatingIfNeeded: sig)
                _ = Glibc.write(LibC.signalPipeWriteEnd, &byte, 1)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0  // no SA_RESTART: a blocking call returns EINTR
            sigaction(sig, &action, nil)
        }
    }

    public static func ignoreSignal(_ sig: Int32) {
        signal(sig, SIG_IGN)
    }

    public static func defaultSignal(_ sig: Int32) {
        signal(sig, SIG_DFL)
    }

    nonisolated(unsafe) static var signalPipeWriteEnd: Int32 = -1

    // MARK: namespaces

    /// Runs `body` on a new thread that first joins the network namespace of the
    /// file `nsfd` (setns(2) with CLONE_NEWNET). Files the body opens keep pointing at
    /// that namespace after the thread ends; the calling thread never changes namespace.
    public static func inNetworkNamespace<T>(_ nsfd: Int32, _ body: () -> T) -> Result<T, Errno> {
        var result: T?
        if let e = onNamespaceThread(nsfd, { result = body() }) { return .failure(e) }
        return .success(result!)
    }

    private static func onNamespaceThread(_ nsfd: Int32, _ body: () -> Void) -> Errno? {
        withoutActuallyEscaping(body) { escapable in
            let box = NamespaceThread(nsfd: nsfd, body: escapable)
            let unmanaged = Unmanaged.passRetained(box)
            defer { unmanaged.release() }
            var thread = pthread_t()
            let rc = pthread_create(&thread, nil, { raw in
                let box = Unmanaged<NamespaceThread>.fromOpaque(raw!).takeUnretainedValue()
                if csteer_setns_net(box.nsfd) != 0 {
                    box.failure = Errno(rawValue: errno)
                } else {
                    box.body()
                }
                return nil
            }, unmanaged.toOpaque())
            if rc != 0 { return Errno(rawValue: rc) }
            pthread_join(thread, nil)
            return box.failure
        }
    }

    private final class NamespaceThread: @unchecked Sendable {
        let nsfd: Int32
        let body: () -> Void
        var failure: Errno?
        init(nsfd: Int32, body: @escaping () -> Void) { self.nsfd = nsfd; self.body = body }
    }

    /// Runs `body` on a new detached thread (a mode switch while the dashboard keeps
    /// drawing). The body reports back through a pipe or similar.
    public static func detachedThread(_ body: @escaping @Sendable () -> Void) -> Bool {
        let box = Unmanaged.passRetained(DetachedBody(body))
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let box = Unmanaged<DetachedBody>.fromOpaque(raw!).takeRetainedValue()
            box.body()
            return nil
        }, box.toOpaque())
        if rc != 0 {
            box.release()
            return false
        }
        pthread_detach(thread)
        return true
    }

    private final class DetachedBody: @unchecked Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    /// A detached sysfs mount of the calling thread's network namespace (fsopen/fsmount).
    public static func sysfsMountForCurrentNamespace() -> Result<Int32, Errno> {
        let fd = csteer_sysfs_mount_fd()
        return fd >= 0 ? .success(fd) : .failure(Errno(rawValue: errno))
    }

    /// Makes the superblock of a sysfs mount (its root directory `fd`) read-only or writable
    /// (fspick + fsconfig FSCONFIG_CMD_RECONFIGURE; see csteer_sysfs_reconfigure).
    public static func reconfigureSuperblock(_ fd: Int32, readOnly: Bool) -> Result<Void, Errno> {
        csteer_sysfs_reconfigure(fd, readOnly ? 1 : 0) == 0 ? .success(()) : .failure(Errno(rawValue: errno))
    }

    /// Whether writes through `fd`'s mount meet a read-only file system (fstatvfs ST_RDONLY).
    public static func isReadOnlyFileSystem(_ fd: Int32) -> Bool {
        csteer_fd_readonly(fd) == 1
    }
}
