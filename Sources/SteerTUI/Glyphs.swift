#if canImport(Glibc)
import Glibc
#endif

/// The symbols panels are drawn with: Unicode block elements and box drawing, or plain
/// ASCII for terminals and locales that cannot show them. Every glyph is one column wide.
public struct Glyphs: Equatable, Sendable {
    /// Bar cells by eighths filled, 0 (empty) to 8 (full).
    public var barEighths: [Unicode.Scalar]
    /// The unfilled (idle) part of a bar.
    public var barEmpty: Unicode.Scalar
    /// Whole-cell fills for usr, sys, irq, soft when the theme gives them one style
    /// (no colours): the segments then differ by symbol, softirq (what RPS moves) solid.
    public var segmentFills: [Unicode.Scalar]
    /// Sparkline levels, lowest first (a cell that holds anything shows at least the first).
    public var sparkLevels: [Unicode.Scalar]
    public var horizontal: Unicode.Scalar
    public var vertical: Unicode.Scalar
    /// Corners: top left, top right, bottom left, bottom right.
    public var corners: [Unicode.Scalar]
    /// Marks text cut short.
    public var ellipsis: Unicode.Scalar
    /// Between the parts of a summary or header line.
    public var separator: String
    public var recording: String
    public var leftRight: String
    /// Where a time axis is marked (a mode change on the throughput chart).
    public var axisMark: Unicode.Scalar
    public var upDown: String

    public static let unicode = Glyphs(
        barEighths: [" ", "▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"],
        barEmpty: "·",
        segmentFills: ["░", "▒", "▓", "█"],
        sparkLevels: ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"],
        horizontal: "─", vertical: "│", corners: ["┌", "┐", "└", "┘"],
        ellipsis: "…", separator: " · ", recording: "●", leftRight: "←/→", axisMark: "┴", upDown: "↑/↓")

    public static let ascii = Glyphs(
        barEighths: [" ", "-", "-", "-", "=", "=", "=", "=", "#"],
        barEmpty: ".",
        segmentFills: [":", "+", "=", "#"],
        sparkLevels: [".", ":", "-", "=", "+", "*", "#", "%", "@"],
        horizontal: "-", vertical: "|", corners: ["+", "+", "+", "+"],
        ellipsis: "~", separator: " | ", recording: "*", leftRight: "<-/->", axisMark: "|", upDown: "^/v")

    /// The set for the current locale: Unicode when its codeset is UTF-8, else ASCII.
    /// Sets the locale from the environment first (setlocale(LC_ALL, ""), as curses needs
    /// anyway), so call it before or after creating the CursesBackend, either works.
    public static func forLocale() -> Glyphs {
        setlocale(LC_ALL, "")
        return isUTF8(codeset: currentCodeset()) ? .unicode : .ascii
    }

    /// nl_langinfo(CODESET) of the current locale ("UTF-8", "ANSI_X3.4-1968", ...).
    public static func currentCodeset() -> String {
        guard let p = nl_langinfo(nl_item(CODESET)) else { return "" }
        return String(cString: p)
    }

    /// Whether a codeset name means UTF-8 ("UTF-8", "utf8").
    public static func isUTF8(codeset: String) -> Bool {
        let folded = codeset.lowercased().filter { $0 != "-" && $0 != "_" }
        return folded == "utf8"
    }
}
