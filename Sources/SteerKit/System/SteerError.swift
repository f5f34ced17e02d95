#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// The one error type of SteerKit: it keeps the raw errno and says what was being done
/// to which path, so that its description reads like a sentence a user can act on.
public enum SteerError: Error, CustomStringConvertible, Equatable, Sendable {
    case open(path: String, errno: Errno)
    case read(path: String, errno: Errno)
    case write(path: String, value: String, errno: Errno)
    case create(path: String, errno: Errno)
    /// A network namespace could not be entered or inspected.
    case netns(name: String, doing: String, errno: Errno)
    case spawn(command: String, errno: Errno)
    case commandFailed(command: [String], status: Int32, output: String)
    /// A name that would become part of a path or a command is not acceptable.
    case invalidName(String, reason: String)
    /// Bad input from the user: the message says what is wrong and what to do.
    case invalid(String)
    case notRoot(action: String)
    case notFound(String)
    case malformed(path: String, line: Int, reason: String)
    /// Kernel tracing (the BPF programs of Tracing/) cannot run here: the reason, in one line.
    case tracing(String)
    /// A namespace's sysfs superblock could not be made writable (`readOnly` false) or
    /// put back read-only (`readOnly` true); netns "" is the host's.
    case superblock(netns: String, readOnly: Bool, errno: Errno)

    public var description: String {
        switch self {
        case let .open(path, errno):
            return "cannot open \(path): \(Self.explain(errno, path: path))"
        case let .read(path, errno):
            return "cannot read \(path): \(Self.explain(errno, path: path))"
        case let .write(path, value, errno):
            return "cannot write \"\(TerminalText.escape(value, limit: 64))\" to \(path): \(Self.explain(errno, path: path))"
        case let .create(path, errno):
            return "cannot create \(path): \(Self.explain(errno, path: path))"
        case let .netns(name, doing, errno):
            if errno == .noSuchFileOrDirectory {
                return "network namespace \(name) does not exist (\(doing)); list them with `ip netns list`"
            }
            return "network namespace \(name): cannot \(doing): \(Self.explain(errno, path: name))"
        case let .spawn(command, errno):
            if errno == .noSuchFileOrDirectory {
                return "\(command) is not installed or not on PATH; install it (e.g. apt-get install \(Self.debianPackage(command)))"
            }
            return "cannot start \(command): \(errno.description)"
        case let .commandFailed(command, status, output):
            let text = output.split(separator: "\n").last.map(String.init) ?? ""
            return "`\(command.joined(separator: " "))` failed (exit \(status))" + (text.isEmpty ? "" : ": \(TerminalText.escape(text, limit: 512))")
        case let .invalidName(name, reason):
            return "invalid name \(Self.quote(name)): \(reason)"
        case let .invalid(message):
            return TerminalText.escape(message)
        case let .notRoot(action):
            return "\(action) needs root: run it with sudo"
        case let .notFound(message):
            return message
        case let .malformed(path, line, reason):
            return "\(path):\(line): \(TerminalText.escape(reason))"
        case let .tracing(reason):
            return "tracing unavailable: \(reason)"
        case let .superblock(netns, readOnly, errno):
            let place = netns.isEmpty ? "this host's /sys" : "the /sys of netns \(netns)"
            if readOnly {
                return "the files were written, but \(place) could not be put back read-only (fsconfig reconfigure: \(errno.description)); it stays writable until the namespace goes or `mount -o remount,ro /sys` in it"
            }
            let what = errno == .permissionDenied || errno == .notPermitted
                ? "steertop needs CAP_SYS_ADMIN over that namespace: run it as root on the node, or in a privileged pod with the host's PID and network namespaces (docs/deploy.md)"
                : errno.rawValue == ENOSYS ? "the kernel lacks fspick/fsconfig (Linux 5.2 or later is needed)" : errno.description
            return "\(place) is read-only (runc mounts a pod's sysfs so) and could not be made writable for the switch (fsconfig reconfigure): \(what)"
        }
    }

    /// The errno as a reason plus, where one is known, what to do about it.
    static func explain(_ errno: Errno, path: String) -> String {
        switch errno {
        case .permissionDenied, .notPermitted:
            return "permission denied; run steertop as root (sudo)"
        case .readOnlyFileSystem:
            return "read-only file system" + (path.hasPrefix("/proc/sys") ? "; in a container, steertop needs privileged: true to write /proc/sys (docs/deploy.md)" : "")
        case .noSuchFileOrDirectory:
            return "no such file or directory"
        case .operationNotSupportedByDevice:
            return "the device is gone (interface removed?)"
        case .invalidArgument:
            return "the kernel refused the value (invalid argument)"
        default:
            return errno.description
        }
    }

    static func debianPackage(_ command: String) -> String {
        switch command.split(separator: "/").last.map(String.init) ?? command {
        case "ip": return "iproute2"
        case "mpstat": return "sysstat"
        default: return command
        }
    }

    /// Shows control characters and NULs so that a bad name is visible in one line.
    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\0": out += "\\0"
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if !TerminalText.isHarmless(String(scalar)) {
                    out += TerminalText.escaped(scalar, keepLineBreaks: false)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
