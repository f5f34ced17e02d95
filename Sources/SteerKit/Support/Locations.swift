#if canImport(Glibc)
import Glibc
#endif

/// Where steertop finds its themes and puts its recordings, whatever the current
/// directory: a person who starts steertop from /tmp or $HOME gets the same themes and
/// the same recordings folder as from the repository.
public enum Locations {
    /// The repository this binary was built in, when it runs from its build tree
    /// (`<repo>/.build/<triple>/<config>/steertop`, next to `<repo>/Package.swift`); nil for
    /// an installed binary.
    public static let buildTreeRoot: String? = {
        guard let exe = LibC.readLink("/proc/self/exe") else { return nil }
        let parts = exe.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 5, parts[parts.count - 4].hasPrefix(".build") else { return nil }
        let root = parts.dropLast(4).joined(separator: "/")
        return LibC.access(root + "/Package.swift", F_OK) ? root : nil
    }()

    /// The directory of the running binary ("/usr/local/bin").
    static var executableDirectory: String? {
        guard let exe = LibC.readLink("/proc/self/exe"), let slash = exe.lastIndex(of: "/") else { return nil }
        return String(exe[..<slash])
    }

    /// Theme directories, searched in this order: $STEERTOP_THEMES, the repository's themes/
    /// (a build tree), $XDG_CONFIG_HOME/steertop/themes (~/.config), /etc/steertop/themes,
    /// `<bin>/../share/steertop/themes`, /usr/local/share and /usr/share.
    public static var themeDirectories: [String] {
        var dirs: [String] = []
        if let env = LibC.environment("STEERTOP_THEMES"), !env.isEmpty { dirs.append(env) }
        if let root = buildTreeRoot { dirs.append(root + "/themes") }
        if let config = configHome { dirs.append(config + "/steertop/themes") }
        dirs.append("/etc/steertop/themes")
        if let bin = executableDirectory { dirs.append(bin + "/../share/steertop/themes") }
        dirs += ["/usr/local/share/steertop/themes", "/usr/share/steertop/themes"]
        var seen = Set<String>()
        return dirs.filter { seen.insert($0).inserted }
    }

    /// Where `r` in the dashboard and `steertop record` without --out write:
    /// $STEERTOP_RECORDINGS; else the repository's recordings/ (a build tree); else the
    /// state directory's recordings/ (/var/lib/steertop/recordings as root,
    /// ~/.local/state/steertop/recordings otherwise).
    public static var recordingsDirectory: String {
        if let env = LibC.environment("STEERTOP_RECORDINGS"), !env.isEmpty { return env }
        if let root = buildTreeRoot { return root + "/recordings" }
        return StateDirectory.resolve().path + "/recordings"
    }

    /// A new recording's path in `recordingsDirectory`: `PREFIX-YYYYmmdd-HHMMSS.jsonl` (with
    /// -2, -3… when that name is taken, as when two recordings start in the same second),
    /// creating the directory if needed.
    public static func newRecordingPath(prefix: String = "steertop") throws(SteerError) -> String {
        let dir = recordingsDirectory
        if case .failure(let e) = LibC.makeDirectories(dir) {
            throw SteerError.create(path: dir, errno: e)
        }
        let base = "\(dir)/\(prefix)-\(Timestamp.compact(seconds: LibC.wallClock().seconds))"
        var path = base + ".jsonl"
        var n = 2
        while LibC.access(path, F_OK) {
            path = base + "-\(n).jsonl"
            n += 1
        }
        return path
    }

    static var configHome: String? {
        if let x = LibC.environment("XDG_CONFIG_HOME"), x.hasPrefix("/") { return x }
        return LibC.environment("HOME").map { $0 + "/.config" }
    }
}
