/// A terminal colour: the terminal's default, one of the 8 basic ANSI colours, or an
/// index into the 256-colour palette. Which of these a terminal can show is the theme's
/// business (`Theme.resolve(_:colours:)`); a Buffer just stores what it is given.
public enum Color: Hashable, Sendable {
    case `default`
    case black, red, green, yellow, blue, magenta, cyan, white
    /// 0-255 of the xterm palette (0-7 are the basic colours, 8-15 their bright variants).
    case indexed(UInt8)

    /// The curses colour number: -1 for the default, 0-7 for the basic colours.
    public var number: Int {
        switch self {
        case .default: return -1
        case .black: return 0
        case .red: return 1
        case .green: return 2
        case .yellow: return 3
        case .blue: return 4
        case .magenta: return 5
        case .cyan: return 6
        case .white: return 7
        case .indexed(let n): return Int(n)
        }
    }

    /// The basic colour with curses number `n` (0-7); nil otherwise.
    public static func basic(_ n: Int) -> Color? {
        switch n {
        case 0: return .black
        case 1: return .red
        case 2: return .green
        case 3: return .yellow
        case 4: return .blue
        case 5: return .magenta
        case 6: return .cyan
        case 7: return .white
        default: return nil
        }
    }

    /// The nearest of the 8 basic colours (for a terminal that has only those): bright
    /// variants lose their brightness, the 6x6x6 cube and the grey ramp are thresholded
    /// per channel at half intensity.
    public var basic: Color {
        guard case .indexed(let n) = self else { return self }
        if n < 8 { return Color.basic(Int(n))! }
        if n < 16 { return Color.basic(Int(n) - 8)! }
        if n >= 232 { return n >= 244 ? .white : .black }
        let levels = [0, 95, 135, 175, 215, 255]
        let c = Int(n) - 16
        let r = levels[c / 36], g = levels[(c / 6) % 6], b = levels[c % 6]
        let bits = (r > 127 ? 1 : 0) | (g > 127 ? 2 : 0) | (b > 127 ? 4 : 0)
        return Color.basic(bits)!
    }
}

/// Text attributes; every terminal curses knows can show some of them, so they are what
/// a theme falls back on when there are no colours.
public struct Attributes: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let bold = Attributes(rawValue: 1 << 0)
    public static let dim = Attributes(rawValue: 1 << 1)
    public static let reverse = Attributes(rawValue: 1 << 2)
    public static let underline = Attributes(rawValue: 1 << 3)

    /// The names used in theme files, in the order they are written back.
    public static let names: [(String, Attributes)] = [
        ("bold", .bold), ("dim", .dim), ("reverse", .reverse), ("underline", .underline),
    ]
}

/// Foreground, background and attributes of a cell.
public struct Style: Hashable, Sendable {
    public var fg: Color
    public var bg: Color
    public var attributes: Attributes

    public init(fg: Color = .default, bg: Color = .default, attributes: Attributes = []) {
        self.fg = fg; self.bg = bg; self.attributes = attributes
    }

    /// The terminal's default colours, no attributes.
    public static let plain = Style()

    /// This style laid over `base` (ratatui's Style::patch, the other way round): a default
    /// colour here lets base's colour through, attributes add up. Used to draw a coloured
    /// word on a bar that has a background.
    public func over(_ base: Style) -> Style {
        Style(fg: fg == .default ? base.fg : fg, bg: bg == .default ? base.bg : bg,
              attributes: attributes.union(base.attributes))
    }

    public func adding(_ a: Attributes) -> Style {
        var s = self
        s.attributes.formUnion(a)
        return s
    }
}
