#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// Reads of files other people and programs wrote, bounded by the kind of file and
/// refused unless the path names a regular file.
///
/// A path is opened with O_NONBLOCK, so that a FIFO with no writer or a device never
/// blocks the open, then fstat(2) decides: anything but a regular file (a FIFO, a
/// device, a directory, a socket) is refused at once, a regular file larger than its
/// kind's bound is refused before a byte is read, and O_NONBLOCK is cleared for the
/// reads. A file that grows while being read (or a /proc file, whose size is 0) is
/// still read only up to the bound.
public enum BoundedFile {
    /// What a file is to steertop and how large it may be.
    public struct Kind: Sendable, Equatable {
        /// "snapshot", "theme", ... as the error messages say it.
        public var name: String
        /// The most bytes read.
        public var limit: Int

        public init(name: String, limit: Int) { self.name = name; self.limit = limit }

        /// A snapshot of steering files: a few hundred bytes per file, tens of thousands of files at most.
        public static let snapshot = Kind(name: "snapshot", limit: 8 << 20)
        /// A colour theme: a few dozen lines.
        public static let theme = Kind(name: "theme", limit: 256 << 10)
        /// The lab's state and traffic files.
        public static let labState = Kind(name: "lab state file", limit: 1 << 20)
        /// A /proc or /sys file (/proc/stat of 4096 CPUs is under 1 MB).
        public static let kernelFile = Kind(name: "kernel file", limit: 4 << 20)
        /// One line of a recording (a sample of 96 CPUs and 200 interfaces is under 100 KB).
        public static let recordingLine = Kind(name: "recording line", limit: 64 << 20)
        /// One iperf3 -J document (IperfParser.maxDocumentBytes).
        public static let iperfDocument = Kind(name: "iperf3 -J document", limit: 16 << 20)
    }

    /// Why a file was not read.
    public enum Failure: Error, Equatable, Sendable {
        case system(Errno)
        /// The path is not a regular file: "a FIFO", "a directory", ...
        case notRegular(String)
        /// Larger than the bound.
        case tooLarge(Int)
    }

    /// "a FIFO (named pipe)", "a character device", ... for st_mode & S_IFMT.
    static func typeName(_ type: UInt32) -> String {
        switch type {
        case UInt32(S_IFIFO): return "a FIFO (named pipe)"
        case UInt32(S_IFCHR): return "a character device"
        case UInt32(S_IFBLK): return "a block device"
        case UInt32(S_IFDIR): return "a directory"
        case UInt32(S_IFSOCK): return "a socket"
        case UInt32(S_IFLNK): return "a symbolic link"
        default: return "not a regular file"
        }
    }

    /// Opens a regular file for reading (blocking reads), refusing anything else without
    /// blocking. Returns the descriptor and its size.
    public static func openRegular(_ path: String, relativeTo dirfd: Int32 = AT_FDCWD) -> Result<(fd: Int32, size: Int), Failure> {
        let fd: Int32
        switch LibC.openat(dirfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY) {
        case .success(let f): fd = f
        case .failure(let e): return .failure(.system(e))
        }
        switch LibC.fstat(fd) {
        case .failure(let e):
            LibC.close(fd)
            return .failure(.system(e))
        case .success(let st):
            guard st.isRegular else {
                LibC.close(fd)
                return .failure(.notRegular(typeName(st.type)))
            }
            LibC.setBlocking(fd)
            return .success((fd, Int(max(0, st.size))))
        }
    }

    /// The bytes of a regular file, at most `limit`.
    public static func read(_ path: String, relativeTo dirfd: Int32 = AT_FDCWD, limit: Int) -> Result<[UInt8], Failure> {
        let opened: (fd: Int32, size: Int)
        switch openRegular(path, relativeTo: dirfd) {
        case .success(let o): opened = o
        case .failure(let f): return .failure(f)
        }
        defer { LibC.close(opened.fd) }
        if opened.size > limit { return .failure(.tooLarge(limit)) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(opened.size, limit) + 1)
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let room = min(chunk.count, limit + 1 - bytes.count)
            let r = chunk.withUnsafeMutableBytes { LibC.read(opened.fd, UnsafeMutableRawBufferPointer(rebasing: $0[0..<room])) }
            switch r {
            case .success(0): return .success(bytes)
            case .success(let n):
                bytes.append(contentsOf: chunk[0..<n])
                if bytes.count > limit { return .failure(.tooLarge(limit)) }
            case .failure(let e): return .failure(.system(e))
            }
        }
    }

    /// The text of a file of `kind`, or one line saying what is wrong with it and what to do.
    public static func text(_ path: String, kind: Kind, relativeTo dirfd: Int32 = AT_FDCWD) throws(SteerError) -> String {
        switch read(path, relativeTo: dirfd, limit: kind.limit) {
        case .success(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .failure(let f): throw error(f, path: path, kind: kind)
        }
    }

    /// The SteerError for a failure to read `path` as a `kind`.
    public static func error(_ f: Failure, path: String, kind: Kind) -> SteerError {
        switch f {
        case .system(let e): return SteerError.read(path: path, errno: e)
        case .notRegular(let what):
            return SteerError.invalid("cannot read \(path) as a \(kind.name): it is \(what), not a regular file; give the path of a \(kind.name) file")
        case .tooLarge(let limit):
            return SteerError.invalid("cannot read \(path) as a \(kind.name): it is larger than \(byteCount(limit)), the bound for a \(kind.name); it is not one")
        }
    }

    /// "64 MiB", "256 KiB", "100 bytes".
    public static func byteCount(_ n: Int) -> String {
        if n >= 1 << 30 && n % (1 << 30) == 0 { return "\(n >> 30) GiB" }
        if n >= 1 << 20 && n % (1 << 20) == 0 { return "\(n >> 20) MiB" }
        if n >= 1 << 10 && n % (1 << 10) == 0 { return "\(n >> 10) KiB" }
        return "\(n) bytes"
    }
}
