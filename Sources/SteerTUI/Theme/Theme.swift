import SteerKit

/// What a piece of the screen is, for the theme: every style drawn comes from one role.
/// The raw value indexes a Palette (a role is looked up for every cell drawn).
public enum Role: Int, CaseIterable, Sendable {
    /// The top line.
    case header
    /// Panel titles.
    case title
    /// Rules and box lines.
    case border
    /// Column headings, units, secondary text.
    case label
    /// Ordinary values.
    case text
    /// CPU bar segments and the idle remainder.
    case usr, sys, irq, soft, idle
    /// NET_RX softirqs and receive rates.
    case net
    /// softnet drops and time_squeeze when above zero.
    case drop, squeeze
    /// Outcomes: a switch that worked, something to look at, something that failed.
    case ok, warn, error
    /// The steering mode in force.
    case mode
    /// iperf3 stream rates; `stale` for streams that stopped reporting or failed.
    case stream, stale
    case sparkline
    /// The highlighted entry (the mode in force in the help's mode list).
    case selection
    /// The help overlay.
    case help
    /// The recorder indicator.
    case rec

    /// Position in `Role.allCases`.
    @inline(__always)
    public var index: Int { rawValue }

    /// The name in theme files.
    public var name: String {
        switch self {
        case .header: return "header"
        case .title: return "title"
        case .border: return "border"
        case .label: return "label"
        case .text: return "text"
        case .usr: return "usr"
        case .sys: return "sys"
        case .irq: return "irq"
        case .soft: return "soft"
        case .idle: return "idle"
        case .net: return "net"
        case .drop: return "drop"
        case .squeeze: return "squeeze"
        case .ok: return "ok"
        case .warn: return "warn"
        case .error: return "error"
        case .mode: return "mode"
        case .stream: return "stream"
        case .stale: return "stale"
        case .sparkline: return "sparkline"
        case .selection: return "selection"
        case .help: return "help"
        case .rec: return "rec"
        }
    }

    /// The role a theme file calls `name`.
    public init?(name: String) {
        guard let r = Role.byName[name] else { return nil }
        self = r
    }

    private static let byName: [String: Role] = Dictionary(uniqueKeysWithValues: allCases.map { ($0.name, $0) })
}

/// A colour as a theme file gives it: what to use on a 256-colour terminal and what on
/// an 8-colour one ("208/yellow").
public struct ColourSpec: Hashable, Sendable {
    public var c256: Color
    public var c8: Color

    public init(c256: Color, c8: Color) { self.c256 = c256; self.c8 = c8 }
    /// The same colour everywhere (a basic colour or the default).
    public init(_ c: Color) { c256 = c; c8 = c.basic }

    public static let `default` = ColourSpec(.default)
}

/// One role's line of a theme file.
public struct RoleStyle: Hashable, Sendable {
    public var fg: ColourSpec
    public var bg: ColourSpec
    public var attributes: Attributes

    public init(fg: ColourSpec = .default, bg: ColourSpec = .default, attributes: Attributes = []) {
        self.fg = fg; self.bg = bg; self.attributes = attributes
    }
}

/// A problem in a theme file: the line is skipped, the rest of the file applies.
public struct ThemeWarning: Equatable, Sendable, CustomStringConvertible {
    public var file: String
    /// 1-based; nil for a problem with the whole file.
    public var line: Int?
    public var message: String

    public init(file: String, line: Int?, message: String) {
        self.file = file; self.line = line; self.message = message
    }

    /// "themes/x.theme:7: unknown colour "purpel" for soft"
    public var description: String {
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }
}

/// A colour theme: a style per Role, for 256-colour, 8-colour and colourless terminals.
/// Themes are text files (see themes/default.theme for the format); the built-in default
/// is the same text as themes/default.theme, so steertop looks the same without its files.
public struct Theme: Equatable, Sendable {
    public var name: String
    /// Indexed by `Role.index`.
    public private(set) var styles: [RoleStyle]

    public init(name: String, styles: [Role: RoleStyle]) {
        self.name = name
        self.styles = Role.allCases.map { styles[$0] ?? RoleStyle() }
    }

    public subscript(role: Role) -> RoleStyle {
        get { styles[role.index] }
        set { styles[role.index] = newValue }
    }

    /// The style to draw `role` with on a terminal with `colours`; without colours only
    /// the attributes are left.
    public func resolve(_ role: Role, colours: ColourSupport) -> Style {
        let r = styles[role.index]
        switch colours {
        case .c256: return Style(fg: r.fg.c256, bg: r.bg.c256, attributes: r.attributes)
        case .c8: return Style(fg: r.fg.c8, bg: r.bg.c8, attributes: r.attributes)
        case .none: return Style(attributes: r.attributes)
        }
    }

    /// Every role resolved at once (what the view draws with).
    public func palette(_ colours: ColourSupport) -> Palette {
        Palette(styles: Role.allCases.map { resolve($0, colours: colours) })
    }

    /// The built-in default theme (parsed from `builtinSource`).
    public static let builtin: Theme = {
        var warnings: [ThemeWarning] = []
        return parse(builtinSource, name: "default", file: "(built-in)", base: nil, warnings: &warnings)
    }()

    /// Where `load` looks for a theme given by name, in order (Locations.themeDirectories:
    /// never the current directory).
    public static var standardDirectories: [String] { Locations.themeDirectories }

    /// The result of `load`.
    public struct Loaded: Equatable, Sendable {
        public var theme: Theme
        public var warnings: [ThemeWarning]
        /// The file read; nil when the built-in default is used.
        public var path: String?
    }

    /// Loads a theme by name ("high-contrast": `<dir>/high-contrast.theme` in the first
    /// of `searchDirectories` that has it) or by path (anything with a "/"). Bad lines are
    /// skipped with a warning naming the file, the line and the key; roles a file leaves
    /// out keep the default's style; a theme that cannot be found or read gives the
    /// built-in default and a warning.
    public static func load(nameOrPath: String, searchDirectories: [String] = standardDirectories) -> Loaded {
        var candidates: [String] = []
        if nameOrPath.contains("/") {
            candidates = [nameOrPath]
        } else {
            let file = nameOrPath.hasSuffix(".theme") ? nameOrPath : nameOrPath + ".theme"
            candidates = searchDirectories.map { $0.hasSuffix("/") ? $0 + file : $0 + "/" + file }
        }
        // A path is read as given, so that a device, a FIFO or a file too large is named as
        // such rather than "not found"; a name is looked for in the directories.
        let found = nameOrPath.contains("/") ? (exists(nameOrPath) ? nameOrPath : nil)
                                             : candidates.first(where: { isRegularFile($0) })
        guard let path = found else {
            if nameOrPath == "default" { return Loaded(theme: builtin, warnings: [], path: nil) }
            let whereLooked = nameOrPath.contains("/") ? "" : " in " + searchDirectories.joined(separator: ", ")
            return Loaded(theme: builtin, warnings: [ThemeWarning(
                file: nameOrPath, line: nil, message: "theme not found\(whereLooked); using the built-in default")],
                path: nil)
        }
        let text: String
        switch BoundedFile.read(path, limit: BoundedFile.Kind.theme.limit) {
        case .success(let bytes): text = String(decoding: bytes, as: UTF8.self)
        case .failure(let f):
            return Loaded(theme: builtin, warnings: [ThemeWarning(
                file: path, line: nil, message: Self.reason(f) + "; using the built-in default")], path: nil)
        }
        var warnings: [ThemeWarning] = []
        let theme = parse(text, name: themeName(path), file: path, base: builtin, warnings: &warnings)
        return Loaded(theme: theme, warnings: warnings, path: path)
    }

    /// Why a theme file was not read, in words.
    static func reason(_ f: BoundedFile.Failure) -> String {
        switch f {
        case .system(let e): return "cannot read it (\(e))"
        case .notRegular(let what): return "it is \(what), not a theme file"
        case .tooLarge(let limit): return "it is larger than \(BoundedFile.byteCount(limit)), the bound for a theme"
        }
    }

    /// "themes/high-contrast.theme" -> "high-contrast".
    static func themeName(_ path: String) -> String {
        var base = Substring(path)
        if let slash = base.lastIndex(of: "/") { base = base[base.index(after: slash)...] }
        if base.hasSuffix(".theme") { base = base.dropLast(6) }
        return String(base)
    }

    static func exists(_ path: String) -> Bool {
        if case .success = LibC.stat(path) { return true }
        return false
    }

    static func isRegularFile(_ path: String) -> Bool {
        if case .success(let st) = LibC.stat(path) { return st.isRegular }
        return false
    }
}

/// A theme resolved for one terminal: a Style per Role.
public struct Palette: Equatable, Sendable {
    public var styles: [Style]
    public subscript(role: Role) -> Style { styles[role.index] }
}

/// The themes found in a list of directories, for the `c` key (next theme).
public struct ThemeCatalog: Sendable {
    public var directories: [String]

    public init(directories: [String] = Theme.standardDirectories) { self.directories = directories }

    /// The names of the `*.theme` files in the directories, sorted, without duplicates;
    /// "default" is always there (it is built in).
    public func names() -> [String] {
        var found: Set<String> = ["default"]
        for dir in directories {
            guard case .success(let entries) = LibC.listDirectory(dir) else { continue }
            for e in entries where e.hasSuffix(".theme") && e.count > 6 { found.insert(Theme.themeName(e)) }
        }
        return found.sorted()
    }

    /// The theme after `current` in `names()`, wrapping round.
    public func next(after current: String) -> String {
        let all = names()
        guard let i = all.firstIndex(of: current) else { return all[0] }
        return all[(i + 1) % all.count]
    }
}
