/// A key press as the app's event loop sees it.
public enum Key: Equatable, Sendable {
    /// A printable character typed on its own (never a byte of an escape sequence).
    case char(Character)
    case left, right, up, down, home, end, pageUp, pageDown
    /// The terminal changed size (curses noticed it itself).
    case resize
    case enter, escape, backspace
    /// A key or sequence with no meaning here (F5, Insert, Alt+4, a mouse report, a control
    /// character …), swallowed whole: `name` is printable ASCII built by the decoder
    /// (e.g. `ESC [ 2 4 ~`), never bytes from the terminal.
    case ignored(name: String)
    /// Text pasted between bracketed-paste markers, swallowed whole (`count` characters).
    case paste(count: Int)
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
