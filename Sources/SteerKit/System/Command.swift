#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// What a finished command printed.
public struct CommandOutput: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs programs as argument arrays (never through a shell), with optional input, and
/// collects their output.
public enum Command {
    /// Runs `argv` to completion. Throws when it cannot be started; a non-zero exit is in
    /// the result (see `check`).
    public static func run(_ argv: [String], input: String? = nil, timeout: Double = 60,
                           environment: [String]? = nil) throws(SteerError) -> CommandOutput {
        precondition(!argv.isEmpty)
        var argv = argv
        if let full = resolve(argv[0]) { argv[0] = full }
        let inPipe = input == nil ? nil : try pipe()
        let outPipe = try pipe()
        let errPipe = try pipe()
        let spawned = LibC.spawn(argv, stdin: inPipe?.0 ?? -1, stdout: outPipe.1, stderr: errPipe.1, environment: environment)
        if let inPipe { LibC.close(inPipe.0) }
        LibC.close(outPipe.1)
        LibC.close(errPipe.1)
        let pid: Int32
        switch spawned {
        case .success(let p): pid = p
        case .failure(let e):
            if let inPipe { LibC.close(inPipe.1) }
            LibC.close(outPipe.0)
            LibC.close(errPipe.0)
            throw SteerError.spawn(command: argv[0], errno: e)
        }
        if let inPipe, let input {
            // Small inputs (ip -batch scripts) fit in the pipe; write then close.
            _ = LibC.writeAll(inPipe.1, Array(input.utf8))
            LibC.close(inPipe.1)
        }
        var out: [UInt8] = [], err: [UInt8] = []
        var open: Set<Int32> = [outPipe.0, errPipe.0]
        var chunk = [UInt8](repeating: 0, count: 16384)
        let deadline = LibC.monotonic() + timeout
        while !open.isEmpty {
            let left = deadline - LibC.monotonic()
            if left <= 0 {
                LibC.kill(pid, SIGKILL)
                break
            }
            for fd in LibC.pollReadable(Array(open), timeout: left) {
                let n = chunk.withUnsafeMutableBytes { LibC.read(fd, $0) }
                switch n {
                case .success(0), .failure:
                    open.remove(fd)
                case .success(let k):
                    if fd == outPipe.0 { out += chunk[0..<k] } else { err += chunk[0..<k] }
                }
            }
        }
        LibC.close(outPipe.0)
        LibC.close(errPipe.0)
        let status = LibC.wait(pid, block: true) ?? -1
        return CommandOutput(status: status, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
    }

    /// Runs `argv` and throws when it exits non-zero, with its last line of stderr.
    @discardableResult
    public static func check(_ argv: [String], input: String? = nil, timeout: Double = 60) throws(SteerError) -> String {
        let r = try run(argv, input: input, timeout: timeout)
        guard r.status == 0 else {
            throw SteerError.commandFailed(command: argv, status: r.status, output: r.stderr.isEmpty ? r.stdout : r.stderr)
        }
        return r.stdout
    }

    /// Whether `name` is an executable on PATH (or in the sbin directories).
    public static func exists(_ name: String) -> Bool { resolve(name) != nil }

    /// The full path of `name` from PATH, then /usr/sbin and /sbin (where ip lives and
    /// which a user's PATH may lack).
    public static func resolve(_ name: String) -> String? {
        if name.contains("/") { return LibC.access(name, X_OK) ? name : nil }
        let path = (LibC.environment("PATH") ?? "/usr/local/bin:/usr/bin:/bin") + ":/usr/local/sbin:/usr/sbin:/sbin"
        for dir in path.split(separator: ":") where LibC.access("\(dir)/\(name)", X_OK) {
            return "\(dir)/\(name)"
        }
        return nil
    }

    static func pipe() throws(SteerError) -> (Int32, Int32) {
        switch LibC.pipe() {
        case .success(let p): return p
        case .failure(let e): throw SteerError.spawn(command: "pipe", errno: e)
        }
    }
}
