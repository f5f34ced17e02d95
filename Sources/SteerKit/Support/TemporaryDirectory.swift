#if canImport(Glibc)
import Glibc
#endif

/// A directory under /tmp that is removed, with everything in it, when the value goes
/// away (tests, generated benchmark inputs).
public final class TemporaryDirectory {
    public let path: String

    public init(prefix: String = "steertop") {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { p in
            mkdtemp(p.baseAddress!).map { String(cString: $0) } ?? "/tmp/\(prefix)-\(LibC.pid)"
        }
    }

    deinit { Self.removeTree(path) }

    public func file(_ name: String) -> String { path + "/" + name }

    /// Writes `text` to a file in the directory and returns its path.
    @discardableResult
    public func write(_ name: String, _ text: String) -> String {
        let p = file(name)
        _ = LibC.writeFileAtomically(p, text)
        return p
    }

    /// rm -r without following symlinks.
    public static func removeTree(_ path: String) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in (try? LibC.listDirectory(path).get()) ?? [] { removeTree(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}
