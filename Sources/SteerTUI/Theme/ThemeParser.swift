/// The theme file format, one role a line:
///
///     # comment (also after a style)
///     role = fg [on bg] [bold] [dim] [reverse] [underline]
///
/// A colour is a name (default, black, red, green, yellow, blue, magenta, cyan, white,
/// bright-black ... bright-white), a number 0-255 of the 256-colour palette, or both
/// joined by "/": "208/yellow" is 208 on a 256-colour terminal and yellow on an 8-colour
/// one (without the "/", a number falls back to the nearest basic colour). The fg may be
/// left out ("header = reverse bold"). Attributes apply everywhere, also where there are
/// no colours at all.
extension Theme {
    /// Parses theme text; bad lines are skipped with a warning, roles it leaves out keep
    /// the built-in default's style.
    public static func parse(_ text: String, name: String, file: String) -> (theme: Theme, warnings: [ThemeWarning]) {
        var warnings: [ThemeWarning] = []
        let theme = parse(text, name: name, file: file, base: builtin, warnings: &warnings)
        return (theme, warnings)
    }

    static func parse(_ text: String, name: String, file: String, base: Theme?,
                      warnings: inout [ThemeWarning]) -> Theme {
        var theme = base ?? Theme(name: name, styles: [:])
        theme.name = name
        var seen: [Role: Int] = [:]
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Substring(rawLine)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let trimmed = line.trimmingCharacters()
            if trimmed.isEmpty { continue }
            func warn(_ message: String) {
                warnings.append(ThemeWarning(file: file, line: lineNumber, message: message))
            }
            guard let eq = trimmed.firstIndex(of: "=") else {
                warn("expected \"role = colour [on colour] [attributes]\", got \"\(trimmed)\"")
                continue
            }
            let key = trimmed[..<eq].trimmingCharacters().lowercased()
            guard let role = Role(name: key) else {
                warn("unknown role \"\(key)\"")
                continue
            }
            let tokens = trimmed[trimmed.index(after: eq)...].split(whereSeparator: { $0 == " " || $0 == "\t" })
                .map { $0.lowercased() }
            switch parseStyle(tokens, role: role) {
            case .success(let style):
                if let first = seen[role] { warn("\(role.name) given again (first on line \(first)); this one applies") }
                seen[role] = lineNumber
                theme[role] = style
            case .failure(let problem):
                warn(problem.message)
            }
        }
        return theme
    }

    struct Problem: Error { var message: String }

    static func parseStyle(_ tokens: [String], role: Role) -> Result<RoleStyle, Problem> {
        guard !tokens.isEmpty else { return .failure(Problem(message: "no style given for \(role.name)")) }
        var style = RoleStyle()
        var i = 0
        if tokens[0] != "on" && attribute(tokens[0]) == nil {
            guard let c = colour(tokens[0]) else {
                return .failure(Problem(message: "unknown colour \"\(tokens[0])\" for \(role.name)"))
            }
            style.fg = c
            i = 1
        }
        if i < tokens.count && tokens[i] == "on" {
            guard i + 1 < tokens.count else {
                return .failure(Problem(message: "\"on\" needs a background colour for \(role.name)"))
            }
            guard let c = colour(tokens[i + 1]) else {
                return .failure(Problem(message: "unknown colour \"\(tokens[i + 1])\" for \(role.name)"))
            }
            style.bg = c
            i += 2
        }
        while i < tokens.count {
            guard let a = attribute(tokens[i]) else {
                return .failure(Problem(message: "unknown attribute \"\(tokens[i])\" for \(role.name)"))
            }
            style.attributes.formUnion(a)
            i += 1
        }
        return .success(style)
    }

    static func attribute(_ word: String) -> Attributes? {
        Attributes.names.first { $0.0 == word }?.1
    }

    /// "red", "bright-red", "208", "208/yellow".
    static func colour(_ token: String) -> ColourSpec? {
        if let slash = token.firstIndex(of: "/") {
            guard let rich = colour(String(token[..<slash])),
                  let basic = colour(String(token[token.index(after: slash)...])) else { return nil }
            return ColourSpec(c256: rich.c256, c8: basic.c8)
        }
        if let n = Int(token) {
            guard n >= 0 && n <= 255 else { return nil }
            return ColourSpec(Color.basic(n) ?? .indexed(UInt8(n)))
        }
        let names: [String: Color] = [
            "default": .default, "black": .black, "red": .red, "green": .green, "yellow": .yellow,
            "blue": .blue, "magenta": .magenta, "cyan": .cyan, "white": .white,
        ]
        if let c = names[token] { return ColourSpec(c) }
        var bright = Substring(token)
        if bright.hasPrefix("bright") {
            bright = bright.dropFirst(6)
            if bright.hasPrefix("-") { bright = bright.dropFirst() }
            if let c = names[String(bright)], c != .default {
                return ColourSpec(c256: .indexed(UInt8(c.number + 8)), c8: c)
            }
        }
        return nil
    }
}
