#if canImport(Glibc)
import Glibc
#endif

/// Where steertop keeps what must outlive a process: snapshots of the files it changed,
/// the lab's state and its iperf3 logs. /var/lib/steertop as root, else
/// ~/.local/state/steertop; STEERTOP_STATE_DIR overrides both (tests use it).
public struct StateDirectory: Sendable {
    public var path: String

    public init(path: String) { self.path = path }

    public static func resolve() -> StateDirectory {
        if let p = LibC.environment("STEERTOP_STATE_DIR"), !p.isEmpty { return StateDirectory(path: p) }
        if LibC.isRoot { return StateDirectory(path: "/var/lib/steertop") }
        let home = LibC.environment("HOME") ?? "/tmp"
        return StateDirectory(path: home + "/.local/state/steertop")
    }

    public var snapshots: String { path + "/snapshots" }

    /// Creates a subdirectory (and the state directory) if needed.
    public func ensure(_ sub: String = "") throws(SteerError) -> String {
        let dir = sub.isEmpty ? path : path + "/" + sub
        if case .failure(let e) = LibC.makeDirectories(dir) { throw SteerError.create(path: dir, errno: e) }
        return dir
    }

    /// A file name for a target: "host", or "netns-steer-server".
    public static func key(nodeNetns: String) -> String {
        nodeNetns.isEmpty ? "host" : "netns-" + nodeNetns
    }

    /// The snapshot taken before steertop's first change on this target (extended with
    /// the first-seen value of files that appeared later).
    public func originalSnapshot(for key: String) -> String { snapshots + "/\(key)-original.json" }
    /// The snapshot taken before the most recent change.
    public func lastSnapshot(for key: String) -> String { snapshots + "/\(key)-last.json" }
}

/// The values of steering files at one moment, saved as JSON.
public struct Snapshot: Equatable, Sendable {
    public struct Entry: Equatable, Sendable {
        public var file: SteeringFile
        public var value: String
        public init(file: SteeringFile, value: String) { self.file = file; self.value = value }
    }

    public var taken: String
    public var target: String
    public var files: [Entry]

    public init(taken: String, target: String, files: [Entry]) {
        self.taken = taken; self.target = target; self.files = files
    }

    /// The plan's "before" values (files that could not be read are left out).
    public init(plan: SteeringPlan, target: String) {
        self.init(taken: Timestamp.now(), target: target,
                  files: plan.writes.compactMap { w in w.before.map { Entry(file: w.file, value: $0) } })
    }

    /// Adds the entries of `other` for files this snapshot does not have yet.
    public mutating func merge(missingFrom other: Snapshot) {
        let have = Set(files.map(\.file))
        files += other.files.filter { !have.contains($0.file) }
    }

    public var json: String {
        var out = JSONBuffer()
        out.beginObject()
        out.key("format"); out.string("steertop-snapshot")
        out.key("version"); out.int(1)
        out.key("taken"); out.string(taken)
        out.key("target"); out.string(target)
        out.key("files")
        out.beginArray()
        for e in files {
            out.beginObject()
            out.key("netns"); out.string(e.file.netns)
            out.key("path"); out.string(e.file.path)
            out.key("pod"); out.bool(e.file.isPod)
            out.key("value"); out.string(e.value)
            out.endObject()
        }
        out.endArray()
        out.endObject()
        out.newline()
        return String(decoding: out.bytes, as: UTF8.self)
    }

    /// Reads a snapshot; every path and name in it is checked as if a user had typed it.
    public static func load(_ path: String) throws(SteerError) -> Snapshot {
        let text: String
        switch BoundedFile.read(path, limit: BoundedFile.Kind.snapshot.limit) {
        case .success(let bytes): text = String(decoding: bytes, as: UTF8.self)
        case .failure(.system(.noSuchFileOrDirectory)):
            throw SteerError.notFound("no snapshot at \(path): steertop has not changed anything on this target yet")
        case .failure(let f): throw BoundedFile.error(f, path: path, kind: .snapshot)
        }
        let doc: JSONValue
        do { doc = try JSONValue.parse(text) } catch {
            throw SteerError.invalid("\(path) is not a steertop snapshot: \(error)")
        }
        guard doc["format"]?.string == "steertop-snapshot", let items = doc["files"]?.array else {
            throw SteerError.invalid("\(path) is not a steertop snapshot")
        }
        // Types as documented (docs/steering.md): a field of the wrong type is an error, never ignored.
        if let v = doc["version"], v.int != 1 {
            throw SteerError.invalid("\(path): snapshot version must be 1; this steertop reads no other")
        }
        for key in ["taken", "target"] where doc[key] != nil && doc[key]?.string == nil {
            throw SteerError.invalid("\(path): \"\(key)\" must be a string")
        }
        var entries: [Entry] = []
        for (i, item) in items.enumerated() {
            guard let netns = item["netns"]?.string, let p = item["path"]?.string, let value = item["value"]?.string else {
                throw SteerError.invalid("\(path): file \(i + 1) lacks netns, path or value as strings")
            }
            if item["pod"] != nil && item["pod"]?.bool == nil {
                throw SteerError.invalid("\(path): file \(i + 1): \"pod\" must be true or false")
            }
            guard !value.isEmpty, value.utf8.count <= 256, value.allSatisfy({ $0.isHexDigit || $0 == "," }) else {
                throw SteerError.invalid("\(path): file \(i + 1) has an unexpected value \(SteerError.quote(TerminalText.escape(value, limit: 64)))")
            }
            let file = try SteeringFile(netns: netns, path: p, isPod: item["pod"]?.bool ?? !netns.isEmpty)
            entries.append(Entry(file: file, value: value))
        }
        return Snapshot(taken: doc["taken"]?.string ?? "", target: doc["target"]?.string ?? "", files: entries)
    }

    /// Saves the snapshot of the files a plan may touch before it is applied: `original`
    /// the first time on a target (extended with files that appear later), `last` every
    /// time.
    public static func saveBefore(_ plan: SteeringPlan, state: StateDirectory, key: String) throws(SteerError) {
        _ = try state.ensure("snapshots")
        let now = Snapshot(plan: plan, target: key)
        let originalPath = state.originalSnapshot(for: key)
        if LibC.access(originalPath, F_OK) {
            // The original is what restore goes back to: one that cannot be read is never
            // replaced by the current state.
            var original: Snapshot
            do { original = try Snapshot.load(originalPath) } catch {
                throw SteerError.invalid("\(error); steertop will not replace the snapshot of the files before its first change: move \(originalPath) away to start a new one")
            }
            let before = original.files.count
            original.merge(missingFrom: now)
            if original.files.count != before { try original.save(originalPath) }
        } else {
            try now.save(originalPath)
        }
        try now.save(state.lastSnapshot(for: key))
    }

    public func save(_ path: String) throws(SteerError) {
        if case .failure(let e) = LibC.writeFileAtomically(path, json) {
            throw SteerError.create(path: path, errno: e)
        }
    }
}
