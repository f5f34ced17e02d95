#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// /proc/net/dev counters of one interface.
public struct NetDevCounters: Equatable, Sendable {
    public var name: String
    public var rxBytes: UInt64, rxPackets: UInt64, txBytes: UInt64, txPackets: UInt64

    public init(name: String, rxBytes: UInt64, rxPackets: UInt64, txBytes: UInt64, txPackets: UInt64) {
        self.name = name; self.rxBytes = rxBytes; self.rxPackets = rxPackets
        self.txBytes = txBytes; self.txPackets = txPackets
    }
}

/// /proc/net/dev: two header lines, then "  name: rx_bytes rx_packets errs drop fifo frame
/// compressed multicast tx_bytes tx_packets ..." per interface of the namespace.
public enum ProcNetDev {
    public static func parse(_ bytes: UnsafeRawBufferPointer, into out: inout [NetDevCounters]) {
        out.removeAll(keepingCapacity: true)
        var s = ByteScanner(bytes)
        s.nextLine()
        s.nextLine()
        while !s.atEnd {
            s.skipBlanks()
            // Interface names cannot contain ":" (dev_valid_name), so the first one ends it.
            guard let name = s.upTo(0x3a) else { s.nextLine(); continue }
            // rx: bytes packets errs drop fifo frame compressed multicast; tx: bytes packets …
            var rxBytes: UInt64 = 0, rxPackets: UInt64 = 0, txBytes: UInt64 = 0, txPackets: UInt64 = 0
            var n = 0
            while n < 10, let v = s.unsigned() {
                switch n {
                case 0: rxBytes = v
                case 1: rxPackets = v
                case 8: txBytes = v
                case 9: txPackets = v
                default: break
                }
                n += 1
            }
            if n == 10 {
                out.append(NetDevCounters(name: name, rxBytes: rxBytes, rxPackets: rxPackets, txBytes: txBytes, txPackets: txPackets))
            }
            s.nextLine()
        }
    }
}

/// A network namespace as steertop reads and writes it: a sysfs instance that shows the
/// namespace's interfaces, its /proc/net/dev, and (for a named namespace) the identity of
/// its /var/run/netns file, to notice when it is deleted or replaced.
///
/// /sys shows the namespace of whoever mounted it, so entering a namespace (setns) is not
/// enough to read its /sys/class/net. For a named namespace steertop joins it on a
/// short-lived thread, makes a detached sysfs mount there with fsopen/fsmount, and opens
/// /proc/thread-self/net/dev; those descriptors keep showing that namespace from any
/// thread afterwards. No process is spawned, once per namespace or per tick. See
/// docs/netns.md.
public final class NetnsView {
    /// "" for steertop's own namespace (the host), else the name under /var/run/netns.
    public let name: String
    /// A directory descriptor of a sysfs instance for this namespace.
    public let sysfs: Int32
    /// Whether `sysfs` is a detached mount of steertop's own (fsmount), with no read-only
    /// flag of its own: then a read-only `sysfs` means a read-only superblock, which
    /// steertop may make writable for a switch. A path opened instead (/sys without
    /// privileges, a fixtures folder) may be read-only as a mount: that is left alone.
    public let detachedMount: Bool
    let netDev: KernelFile
    private let identity: (device: UInt64, inode: UInt64)?
    private let netnsPath: String?

    /// steertop's own namespace, through `root`/sys and `root`/proc (a fixtures folder in tests).
    public init(hostRoot root: String = "/") throws(SteerError) {
        name = ""
        let sysPath = Self.join(root, "sys")
        if root == "/", case .success(let fd) = LibC.sysfsMountForCurrentNamespace() {
            // The process's own namespace through a detached mount (root): the same view
            // as /sys, without the flags of however /sys happens to be mounted here.
            sysfs = fd
            detachedMount = true
        } else {
            switch LibC.open(sysPath, O_RDONLY | O_DIRECTORY) {
            case .success(let fd): sysfs = fd
            case .failure(let e): throw SteerError.open(path: sysPath, errno: e)
            }
            detachedMount = false
        }
        do {
            netDev = try KernelFile(Self.join(root, "proc/net/dev"))
        } catch {
            LibC.close(sysfs)
            throw error
        }
        identity = nil
        netnsPath = nil
    }

    /// A named namespace (/var/run/netns/NAME or `directory`/NAME).
    public init(named name: String, directory: String = "/var/run/netns") throws(SteerError) {
        self.name = name
        let path = directory + "/" + name
        let nsfd = try Self.openNamespace(name, directory: directory)
        defer { LibC.close(nsfd) }
        guard case .success(let st) = LibC.fstat(nsfd) else {
            throw SteerError.netns(name: name, doing: "stat \(path)", errno: .noSuchFileOrDirectory)
        }
        let opened = LibC.inNetworkNamespace(nsfd) { () -> Result<(Int32, Int32), SteerError> in
            let mount: Int32
            switch LibC.sysfsMountForCurrentNamespace() {
            case .success(let fd): mount = fd
            case .failure(let e): return .failure(.netns(name: name, doing: "mount its sysfs", errno: e))
            }
            switch LibC.open("/proc/thread-self/net/dev", O_RDONLY) {
            case .success(let fd): return .success((mount, fd))
            case .failure(let e):
                LibC.close(mount)
                return .failure(.netns(name: name, doing: "open its /proc/net/dev", errno: e))
            }
        }
        let fds: (Int32, Int32)
        switch opened {
        case .failure(let e): throw SteerError.netns(name: name, doing: "enter it (setns)", errno: e)
        case .success(.failure(let e)): throw e
        case .success(.success(let pair)): fds = pair
        }
        sysfs = fds.0
        detachedMount = true
        netDev = KernelFile(adopting: fds.1, displayPath: "/proc/net/dev in netns \(name)")
        identity = (st.device, st.inode)
        netnsPath = path
    }

    deinit { LibC.close(sysfs) }

    /// False once the namespace file is gone or names another namespace (deleted and
    /// made again): the view then shows a namespace nobody else uses.
    public var stillExists: Bool {
        guard let identity, let netnsPath else { return true }
        guard case .success(let st) = LibC.stat(netnsPath) else { return false }
        return st.device == identity.device && st.inode == identity.inode
    }

    /// Whether this namespace's sysfs superblock is read-only. A namespace has one sysfs
    /// superblock, so when runc mounts a pod's /sys read-only every later mount of that
    /// namespace's sysfs, steertop's detached one too, is read-only (docs/netns.md).
    public var sysfsReadOnly: Bool { detachedMount && LibC.isReadOnlyFileSystem(sysfs) }

    /// Makes the namespace's sysfs superblock writable or read-only again (fspick +
    /// fsconfig reconfigure on steertop's own mount, as `mount -o remount,rw` would).
    /// Putting it back read-only fails with EBUSY while a file of it is open for writing.
    public func setSysfsReadOnly(_ readOnly: Bool) throws(SteerError) {
        if case .failure(let e) = LibC.reconfigureSuperblock(sysfs, readOnly: readOnly) {
            throw SteerError.superblock(netns: name, readOnly: readOnly, errno: e)
        }
    }

    /// Where a file of this namespace's sysfs is, for messages.
    public func displayPath(_ relative: String) -> String {
        name.isEmpty ? "/sys/" + relative : "/sys/\(relative) in netns \(name)"
    }

    /// The rx queues of an interface ("rx-0", "rx-1", ... as numbers, in order).
    public func rxQueues(of iface: String) -> [Int] {
        guard case .success(let names) = LibC.listDirectory("class/net/\(iface)/queues", relativeTo: sysfs) else {
            return []
        }
        return names.compactMap { $0.hasPrefix("rx-") ? Int($0.dropFirst(3)) : nil }.sorted()
    }

    /// Interface names from sysfs (class/net), for when /proc/net/dev is not wanted.
    public func interfaceNames() -> [String] {
        (try? LibC.listDirectory("class/net", relativeTo: sysfs).get()) ?? []
    }

    /// Opens a file of this namespace's sysfs ("class/net/eth0/queues/rx-0/rps_cpus").
    public func open(_ relative: String, writable: Bool = false) throws(SteerError) -> KernelFile {
        try KernelFile(relative, relativeTo: sysfs, displayPath: displayPath(relative), writable: writable, capacity: 128)
    }

    /// Current /proc/net/dev counters.
    public func readNetDev(into out: inout [NetDevCounters]) throws(SteerError) {
        let bytes = try netDev.read()
        ProcNetDev.parse(bytes, into: &out)
    }

    /// Opens /var/run/netns/NAME (the name checked first) for setns(2).
    static func openNamespace(_ name: String, directory: String) throws(SteerError) -> Int32 {
        try Names.checkNamespace(name)
        let path = directory + "/" + name
        switch LibC.open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY) {
        case .success(let fd): return fd
        case .failure(let e): throw SteerError.netns(name: name, doing: "open \(path)", errno: e)
        }
    }

    static func join(_ root: String, _ relative: String) -> String {
        root.hasSuffix("/") ? root + relative : root + "/" + relative
    }

    /// Names under the netns directory that match `patterns` (sorted naturally), each
    /// checked; names that fail the check are skipped.
    public static func namespaces(matching patterns: [String], directory: String = "/var/run/netns") -> Result<[String], Errno> {
        LibC.listDirectory(directory).map { names in
            names.filter { n in
                (try? Names.checkNamespace(n)) != nil && patterns.contains { LibC.globMatches($0, n) }
            }.sorted(by: naturalOrder)
        }
    }
}

/// "pod2" before "pod10": runs of ASCII digits compare as numbers, the rest byte by byte.
public func naturalOrder(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    var i = 0, j = 0
    @inline(__always) func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    while i < x.count && j < y.count {
        if isDigit(x[i]) && isDigit(y[j]) {
            var nx = 0, ny = 0
            while i < x.count && isDigit(x[i]) { nx = nx &* 10 &+ Int(x[i] - 0x30); i += 1 }
            while j < y.count && isDigit(y[j]) { ny = ny &* 10 &+ Int(y[j] - 0x30); j += 1 }
            if nx != ny { return nx < ny }
            continue
        }
        if x[i] != y[j] { return x[i] < y[j] }
        i += 1
        j += 1
    }
    return i == x.count && j < y.count
}

extension KernelFile {
    /// Wraps a descriptor opened elsewhere (inside another namespace).
    convenience init(adopting fd: Int32, displayPath: String) {
        self.init(uncheckedFD: fd, path: displayPath)
    }
}

extension NetnsView {
    /// Writes sysctls (paths under /proc/sys, e.g. "net/ipv4/ip_forward") inside the named
    /// namespace, in-process: /proc/sys/net is resolved for the namespace of the thread
    /// that opens it.
    public static func writeSysctls(netns name: String, _ settings: [(String, String)],
                                    directory: String = "/var/run/netns") throws(SteerError) {
        for (path, _) in settings where path.contains("..") || path.hasPrefix("/") {
            throw SteerError.invalidName(path, reason: "not a sysctl path")
        }
        let nsfd = try openNamespace(name, directory: directory)
        defer { LibC.close(nsfd) }
        let result = LibC.inNetworkNamespace(nsfd) { () -> SteerError? in
            for (path, value) in settings {
                do throws(SteerError) {
                    let f = try KernelFile("/proc/sys/" + path, displayPath: "/proc/sys/\(path) in netns \(name)", writable: true, capacity: 64)
                    try f.write(value)
                } catch {
                    return error
                }
            }
            return nil
        }
        switch result {
        case .failure(let e): throw SteerError.netns(name: name, doing: "enter it (setns)", errno: e)
        case .success(let error?): throw error
        case .success(nil): return
        }
    }
}
