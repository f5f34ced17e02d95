#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// A kernel file (/proc, /sys) kept open and re-read from offset 0 on every tick into a
/// buffer that is reused, so that a tick costs a few pread(2) calls and no allocation.
public final class KernelFile {
    /// The path shown in messages (for files inside another namespace, with its name).
    public let path: String
    let fd: Int32
    private var storage: UnsafeMutableRawBufferPointer
    private var length = 0

    /// Opens `path` (relative to `dirfd` when given) for reading, or reading and writing.
    ///
    /// As BoundedFile does for users' files: opened with O_NONBLOCK, so that a FIFO or a
    /// device where a /proc or /sys file should be (a fixtures root, a crafted mount)
    /// never blocks the open, and refused unless fstat(2) says it is a regular file, as
    /// every /proc and sysfs attribute is; then the reads block as usual.
    public init(_ path: String, relativeTo dirfd: Int32 = AT_FDCWD, displayPath: String? = nil,
                writable: Bool = false, capacity: Int = 4096) throws(SteerError) {
        let shown = displayPath ?? path
        self.path = shown
        let fd: Int32
        switch LibC.openat(dirfd, path, (writable ? O_RDWR : O_RDONLY) | O_NONBLOCK | O_NOCTTY) {
        case .success(let opened): fd = opened
        case .failure(let e): throw SteerError.open(path: shown, errno: e)
        }
        switch LibC.fstat(fd) {
        case .success(let st) where st.isRegular:
            LibC.setBlocking(fd)
        case .success(let st):
            LibC.close(fd)
            throw SteerError.invalid("cannot read \(shown) as a kernel file: it is \(BoundedFile.typeName(st.type)), not a regular file")
        case .failure(let e):
            LibC.close(fd)
            throw SteerError.open(path: shown, errno: e)
        }
        self.fd = fd
        storage = .allocate(byteCount: max(capacity, 64), alignment: 8)
    }

    /// Takes ownership of an already open descriptor.
    init(uncheckedFD fd: Int32, path: String, capacity: Int = 4096) {
        self.path = path
        self.fd = fd
        storage = .allocate(byteCount: max(capacity, 64), alignment: 8)
    }

    deinit {
        LibC.close(fd)
        storage.deallocate()
    }

    /// Reads the whole file from offset 0, growing the buffer when the content outgrows it.
    ///
    /// A seq_file read (seq_read_iter) fills at most its page-sized buffer with whole
    /// records and stops early only when the next record does not fit in that page; /proc
    /// records here (a line of stat, softirqs, softnet_stat, net/dev) are far shorter than
    /// `shortReadIsEnd`'s margin, so a read shorter than it is the end of the file and the
    /// extra pread that would return 0 is not needed.
    public func read() throws(SteerError) -> UnsafeRawBufferPointer {
        length = 0
        while true {
            if storage.count - length < 4096 {
                guard storage.count < BoundedFile.Kind.kernelFile.limit else {
                    throw SteerError.invalid("\(path) is larger than \(BoundedFile.byteCount(BoundedFile.Kind.kernelFile.limit)), the bound for a kernel file; not read")
                }
                grow()
            }
            let free = UnsafeMutableRawBufferPointer(rebasing: storage[length...])
            switch LibC.pread(fd, free, offset: length) {
            case .success(0):
                return UnsafeRawBufferPointer(rebasing: storage[0..<length])
            case .success(let n):
                length += n
                if n < Self.shortReadIsEnd { return UnsafeRawBufferPointer(rebasing: storage[0..<length]) }
            case .failure(let e):
                throw SteerError.read(path: path, errno: e)
            }
        }
    }

    /// A page (4096) less a margin longer than any record of the files read this way.
    static let shortReadIsEnd = 4096 - 1024

    /// One pread at offset 0: enough for a sysfs attribute, which the kernel renders whole
    /// (at most a page) on the first read.
    public func readAttribute() throws(SteerError) -> UnsafeRawBufferPointer {
        switch LibC.pread(fd, storage, offset: 0) {
        case .success(let n):
            length = n
            return UnsafeRawBufferPointer(rebasing: storage[0..<n])
        case .failure(let e):
            throw SteerError.read(path: path, errno: e)
        }
    }

    /// The attribute as text without its trailing newline.
    public func readAttributeText() throws(SteerError) -> String {
        let bytes = try readAttribute()
        var end = bytes.count
        while end > 0 && (bytes[end - 1] == 0x0a || bytes[end - 1] == 0x20) { end -= 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[0..<end]), as: UTF8.self)
    }

    /// Writes `value` with one write(2) at offset 0, as sysfs and sysctl files expect.
    public func write(_ value: String) throws(SteerError) {
        if case .failure(let e) = LibC.pwriteOnce(fd, value) {
            throw SteerError.write(path: path, value: value, errno: e)
        }
    }

    private func grow() {
        let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: storage.count * 2, alignment: 8)
        bigger.copyMemory(from: UnsafeRawBufferPointer(rebasing: storage[0..<length]))
        storage.deallocate()
        storage = bigger
    }
}
