#if canImport(Glibc)
import Glibc
#endif

/// Names for what the kernel identifies by number: a network namespace's inode → its name
/// under /var/run/netns ("" for steertop's own), and (namespace, ifindex) → the
/// interface's name, read from the namespace's sysfs (class/net/NAME/ifindex).
///
/// Lookups are cached; an unknown number triggers one refresh of that namespace (at most
/// once per `beginTick` call, i.e. per tick), so a namespace or interface made while
/// tracing is named from the next tick on. A namespace that vanished keeps the names it
/// had; one never seen is shown as "netns:INODE" and its devices as "if INDEX".
public final class DeviceNames {
    let directory: String
    private var namespaceByInode: [UInt32: String] = [:]
    private var devices: [UInt32: [UInt32: String]] = [:]
    private var triedNamespaces: Set<UInt32> = []
    private var triedDevices: Set<UInt32> = []
    private var listed = false
    /// Problems met since the last `takeWarnings()`.
    private var warnings: [String] = []

    public init(directory: String = "/var/run/netns") {
        self.directory = directory
    }

    /// The inode of steertop's own network namespace (/proc/self/ns/net).
    public static func ownInode() -> UInt32? {
        guard case .success(let st) = LibC.stat("/proc/self/ns/net") else { return nil }
        return UInt32(truncatingIfNeeded: st.inode)
    }

    /// A new tick: numbers still unknown may be looked up once more.
    public func beginTick() {
        triedNamespaces = []
        triedDevices = []
    }

    /// Lists the named namespaces (their inodes). Names of namespaces that vanished are
    /// kept: their last counts may still arrive.
    private func list() {
        if let own = Self.ownInode() { namespaceByInode[own] = "" }
        if case .success(let names) = LibC.listDirectory(directory) {
            for name in names.sorted(by: naturalOrder) {
                if case .success(let st) = LibC.stat(directory + "/" + name) {
                    namespaceByInode[UInt32(truncatingIfNeeded: st.inode)] = name
                }
            }
        }
        listed = true
    }

    /// The namespace's name.
    public func namespace(_ inode: UInt32) -> String {
        if !listed { list() }
        if let name = namespaceByInode[inode] { return name }
        if triedNamespaces.insert(inode).inserted {
            list()
            if let name = namespaceByInode[inode] { return name }
        }
        return "netns:\(inode)"
    }

    /// The interface's name.
    public func device(netns inode: UInt32, ifindex: UInt32) -> String {
        if let name = devices[inode]?[ifindex] { return name }
        if triedDevices.insert(inode).inserted {
            loadDevices(inode)
            if let name = devices[inode]?[ifindex] { return name }
        }
        return "if \(ifindex)"
    }

    public func takeWarnings() -> [String] {
        defer { warnings = [] }
        return warnings
    }

    /// Reads every interface's ifindex in the namespace's sysfs.
    private func loadDevices(_ inode: UInt32) {
        let name = namespace(inode)
        if name.hasPrefix("netns:") { return }
        let view: NetnsView
        do {
            view = name.isEmpty ? try NetnsView() : try NetnsView(named: name, directory: directory)
        } catch {
            warnings.append("names of devices in \(name.isEmpty ? "the host" : name): \(error.description)")
            return
        }
        var map = devices[inode] ?? [:]
        for iface in view.interfaceNames() {
            guard let file = try? view.open("class/net/\(iface)/ifindex"),
                  let bytes = try? file.read() else { continue }
            var s = ByteScanner(bytes)
            if let index = s.unsigned() { map[UInt32(truncatingIfNeeded: index)] = iface }
        }
        devices[inode] = map
    }
}
