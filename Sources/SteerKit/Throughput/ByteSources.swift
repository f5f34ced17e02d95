#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// Something that hands out bytes as they arrive, without blocking: a followed file or a
/// child process's output.
public protocol ByteSource: AnyObject {
    /// Appends what arrived since the last call to `buffer`; returns a problem to show,
    /// if any (the source keeps trying).
    func read(into buffer: inout [UInt8]) -> String?
    /// Set when the source started over from the beginning of new content (a truncated
    /// or rotated file, a reconnected stream): the reader should reset its parser.
    var restarted: Bool { get set }
}

/// A file followed like `tail -F`: appends are read as they come; a file that is
/// truncated is read again from its start; a file that is replaced (rotated: another
/// inode under the name) is read to its end, then the new one from its start; a file that
/// does not exist yet is waited for.
public final class FollowedFile: ByteSource {
    public let path: String
    private var fd: Int32 = -1
    private var inode: UInt64 = 0
    private var device: UInt64 = 0
    /// Where the next read starts: the file's end at the start for a file followed from
    /// its end.
    public private(set) var offset = 0
    public var restarted = false
    private var chunk = [UInt8](repeating: 0, count: 65536)
    /// Bytes read per call at most, so that a huge backlog is spread over ticks.
    public var maxBytesPerRead = 4 << 20

    /// `fromEnd` skips what the file already holds (a log of earlier runs).
    public init(path: String, fromEnd: Bool = false) {
        self.path = path
        if open(), fromEnd, case .success(let st) = LibC.fstat(fd) { offset = Int(st.size) }
    }

    deinit { if fd >= 0 { LibC.close(fd) } }

    @discardableResult
    private func open() -> Bool {
        guard case .success(let f) = LibC.open(path, O_RDONLY | O_NONBLOCK) else { return false }
        guard case .success(let st) = LibC.fstat(f), st.isRegular || !st.isDirectory else {
            LibC.close(f)
            return false
        }
        fd = f
        inode = st.inode
        device = st.device
        offset = 0
        return true
    }

    public func read(into buffer: inout [UInt8]) -> String? {
        if fd < 0 {
            guard open() else {
                return LibC.access(path, F_OK) ? "cannot read \(path)" : "waiting for \(path) (it does not exist yet)"
            }
            restarted = true
        }
        var problem: String?
        // Truncated: start over.
        if case .success(let st) = LibC.fstat(fd), Int(st.size) < offset {
            offset = 0
            restarted = true
        }
        drain(into: &buffer)
        // Rotated: the name now points at another file; the old one is drained above.
        if case .success(let st) = LibC.stat(path) {
            if st.inode != inode || st.device != device {
                LibC.close(fd)
                fd = -1
                if open() {
                    restarted = true
                    drain(into: &buffer)
                }
            }
        } else if !LibC.access(path, F_OK) {
            problem = "\(path) was removed; waiting for it to come back"
        }
        return problem
    }

    private func drain(into buffer: inout [UInt8]) {
        var total = 0
        while total < maxBytesPerRead {
            let n = chunk.withUnsafeMutableBytes { LibC.pread(fd, $0, offset: offset) }
            guard case .success(let k) = n, k > 0 else { return }
            buffer.append(contentsOf: chunk[0..<k])
            offset += k
            total += k
        }
    }
}

/// A child process whose stdout is read as it arrives (kubectl logs -f), started again
/// with a back-off when it exits.
public final class FollowedProcess: ByteSource {
    public let argv: [String]
    /// Builds the command line for a restart (e.g. with --since for the gap).
    public var restartArguments: ((Double) -> [String])?
    private var pid: Int32 = -1
    private var out: Int32 = -1
    private var err: Int32 = -1
    private var errText: [UInt8] = []
    private var nextStart = 0.0
    private var backoff = 1.0
    private var exitedAt: Double?
    public var restarted = false
    private var chunk = [UInt8](repeating: 0, count: 65536)
    /// Why the last run ended, for the sample's `missing`.
    public private(set) var lastProblem: String?

    public init(_ argv: [String]) {
        self.argv = argv
    }

    deinit { stop() }

    public func stop() {
        if pid > 0 {
            Processes.terminate([pid])
            pid = -1
        }
        if out >= 0 { LibC.close(out); out = -1 }
        if err >= 0 { LibC.close(err); err = -1 }
    }

    private func start(now: Double) -> String? {
        var args = argv
        if let exitedAt, let restartArguments { args = restartArguments(now - exitedAt) }
        guard Command.resolve(args[0]) != nil else {
            nextStart = now + 10
            return "\(args[0]) is not installed or not on PATH; install it, or give the iperf3 logs with --iperf-log"
        }
        guard case .success(let (outR, outW)) = LibC.pipe(nonBlocking: true),
              case .success(let (errR, errW)) = LibC.pipe(nonBlocking: true) else { return "cannot make a pipe" }
        // A session of its own: a ^C at steertop's terminal is steertop's to handle, and the
        // child's own signals stay within its group.
        let spawned = LibC.spawn([Command.resolve(args[0])!] + args.dropFirst(), stdout: outW, stderr: errW, newSession: true)
        LibC.close(outW)
        LibC.close(errW)
        switch spawned {
        case .success(let p):
            pid = p
            out = outR
            err = errR
            errText = []
            if exitedAt != nil { restarted = true }
            return nil
        case .failure(let e):
            LibC.close(outR)
            LibC.close(errR)
            nextStart = now + backoff
            return "cannot start \(args[0]): \(e.description)"
        }
    }

    public func read(into buffer: inout [UInt8]) -> String? {
        let now = LibC.monotonic()
        if pid < 0 {
            guard now >= nextStart else { return lastProblem }
            if let p = start(now: now) {
                lastProblem = p
                return p
            }
        }
        var gotOutput = false
        while case .success(let k) = chunk.withUnsafeMutableBytes({ LibC.read(out, $0) }), k > 0 {
            buffer.append(contentsOf: chunk[0..<k])
            gotOutput = true
        }
        while case .success(let k) = chunk.withUnsafeMutableBytes({ LibC.read(err, $0) }), k > 0, errText.count < 65536 {
            errText.append(contentsOf: chunk[0..<k])
        }
        if gotOutput {
            backoff = 1
            lastProblem = nil
        }
        if let status = LibC.wait(pid, block: false) {
            let reason = String(decoding: errText, as: UTF8.self).split(separator: "\n").last.map(String.init)
                ?? "exited with status \(status)"
            lastProblem = "\(argv[0]) stopped (\(reason)); reconnecting in \(Int(backoff)) s (a gap in the data)"
            pid = -1
            LibC.close(out); out = -1
            LibC.close(err); err = -1
            exitedAt = now
            nextStart = now + backoff
            backoff = min(backoff * 2, 30)
            return lastProblem
        }
        return nil
    }
}
