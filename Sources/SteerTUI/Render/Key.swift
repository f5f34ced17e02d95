/// A key press as the app's event loop sees it.
public enum Key: Equatable, Sendable {
    /// A printable character (and control characters other than the ones below).
    case char(Character)
    case left, right, up, down, home, end, pageUp, pageDown
    /// The terminal changed size (curses noticed it itself).
    case resize
    case enter, escape, backspace
    /// Nothing was waiting.
    case none
}

/// How many colours a terminal shows; a Theme resolves its roles for one of these.
public enum ColourSupport: String, CaseIterable, Sendable {
    /// The xterm 256-colour palette.
    case c256
    /// The 8 basic ANSI colours.
    case c8
    /// No colours: attributes only.
    case none
}
