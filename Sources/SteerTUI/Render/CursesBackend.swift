import CNcursesw
#if canImport(Glibc)
import Glibc
#endif

/// The terminal, through ncursesw: the only file that imports CNcursesw. It is thin on
/// purpose: the app owns the event loop (poll on `inputDescriptor` and its pipes) and
/// SIGWINCH (it calls `resize(to:)`); this draws runs, reads keys and restores the
/// terminal.
public final class CursesBackend: Backend {
    public enum Failure: Error, CustomStringConvertible, Equatable {
        /// Neither stdin/stdout nor /dev/tty is a terminal.
        case notATerminal
        /// newterm(3) refused the terminal type.
        case unknownTerminal(term: String)

        public var description: String {
            switch self {
            case .notATerminal:
                return "steertop needs a terminal: stdin and stdout are not one and /dev/tty cannot be opened"
            case .unknownTerminal(let term):
                return term.isEmpty
                    ? "TERM is not set: set it to your terminal's type (e.g. TERM=xterm-256color)"
                    : "curses does not know the terminal type TERM=\(term): try TERM=xterm-256color or TERM=vt100"
            }
        }
    }

    /// The colours this terminal shows (capped by what the app asked for).
    public let colours: ColourSupport
    /// The descriptor keys arrive on (stdin, or /dev/tty when stdin is not a terminal):
    /// poll it for readability, then call `readKey()` until it returns `.none`.
    public let inputDescriptor: Int32
    /// False when the locale's codeset is not UTF-8: non-ASCII symbols are drawn as "?".
    public let unicode: Bool

    private var screen: OpaquePointer?
    private var ownedDescriptors: [Int32] = []
    private var pairs: [Int32: Int16] = [:]
    private var nextPair: Int32 = 1
    private let maxPairs: Int32
    private let defaultColoursWork: Bool
    private var wide: [wchar_t] = []
    private var decoder = KeyDecoder()
    /// Keys the decoder completed that readKey() has not returned yet.
    private var decoded: [Key] = []
    private let output: UnsafeMutablePointer<FILE>

    /// Sets the locale from the environment, opens the terminal with newterm(3) (not
    /// initscr, which exits the process on a bad TERM) and sets it up for a dashboard:
    /// cbreak, noecho, keypad, non-blocking reads, no cursor, 25 ms ESC delay, default
    /// colours. `colours` caps what the terminal reports (nil: take what it has).
    public init(colours wanted: ColourSupport? = nil) throws(Failure) {
        setlocale(LC_ALL, "")
        unicode = Glyphs.isUTF8(codeset: Glyphs.currentCodeset())

        var inFD: Int32 = 0, outFD: Int32 = 1
        var owned: [Int32] = []
        if isatty(0) != 1 || isatty(1) != 1 {
            let tty = open("/dev/tty", O_RDWR | O_CLOEXEC)
            guard tty >= 0 else { throw .notATerminal }
            owned.append(tty)
            if isatty(0) != 1 { inFD = tty }
            if isatty(1) != 1 { outFD = tty }
        }
        guard let output = fdopen(outFD, "w"), let input = fdopen(inFD, "r") else {
            for fd in owned { close(fd) }
            throw .notATerminal
        }
        guard let scr = newterm(nil, output, input) else {
            let term = getenv("TERM").map { String(cString: $0) } ?? ""
            throw .unknownTerminal(term: term)
        }
        screen = scr
        self.output = output
        ownedDescriptors = owned
        inputDescriptor = inFD

        let win = steer_stdscr()
        cbreak()
        noecho()
        nonl()
        keypad(win, true)
        nodelay(win, true)
        wtimeout(win, 0)
        intrflush(win, false)
        leaveok(win, true)
        curs_set(0)
        set_escdelay(25)
        // Bracketed paste: a paste arrives between markers and is swallowed whole, so
        // pasted text can never act as keys (terminals that lack the mode ignore this).
        fputs(Self.bracketedPasteOn, output)
        fflush(output)

        var support = ColourSupport.none
        var defaults = false
        if has_colors() {
            start_color()
            defaults = use_default_colors() != steer_err()
            let n = steer_colors()
            support = n >= 256 ? .c256 : (n >= 8 ? .c8 : .none)
        }
        if let wanted {
            let order: [ColourSupport] = [.none, .c8, .c256]
            support = order[min(order.firstIndex(of: support)!, order.firstIndex(of: wanted)!)]
        }
        colours = support
        defaultColoursWork = defaults
        maxPairs = min(steer_color_pairs(), Int32(Int16.max))
    }

    deinit { shutdown() }

    static let bracketedPasteOn = "\u{1B}[?2004h"
    static let bracketedPasteOff = "\u{1B}[?2004l"

    /// Restores the terminal (endwin) and frees the screen. Safe to call more than once;
    /// call it on every way out, including errors and signals.
    public func shutdown() {
        guard let scr = screen else { return }
        screen = nil
        fputs(Self.bracketedPasteOff, output)
        fflush(output)
        endwin()
        delscreen(scr)
        // The FILEs wrap descriptors we do not own (0, 1) or close below.
        for fd in ownedDescriptors { close(fd) }
        ownedDescriptors = []
    }

    public var size: Size {
        guard screen != nil else { return Size(width: 0, height: 0) }
        var h: Int32 = 0, w: Int32 = 0
        steer_getmaxyx(steer_stdscr(), &h, &w)
        return Size(width: Int(w), height: Int(h))
    }

    /// The terminal's size as the kernel knows it (TIOCGWINSZ on the output), for an app
    /// that polls it after SIGWINCH; nil if it cannot be read.
    public func terminalSize() -> Size? {
        var ws = winsize()
        let fd: Int32 = isatty(1) == 1 ? 1 : (ownedDescriptors.first ?? 1)
        guard ioctl(fd, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_row > 0, ws.ws_col > 0 else { return nil }
        return Size(width: Int(ws.ws_col), height: Int(ws.ws_row))
    }

    /// Tells curses the terminal is now `size` (resizeterm), e.g. `terminalSize()` after
    /// SIGWINCH; follow with a full redraw (Renderer.invalidate()). Does nothing when curses
    /// already has that size: when the app left SIGWINCH to curses, curses resizes itself
    /// and readKey() returns `.resize`, and resizeterm at that point would queue another
    /// KEY_RESIZE each time it is called (an endless .resize loop, seen with ncurses 6).
    /// Returns whether the size changed.
    @discardableResult
    public func resize(to size: Size) -> Bool {
        guard screen != nil, size.width > 0, size.height > 0, size != self.size else { return false }
        resizeterm(Int32(size.height), Int32(size.width))
        return true
    }

    public func draw(_ runs: [Run]) {
        guard screen != nil else { return }
        for run in runs {
            wide.removeAll(keepingCapacity: true)
            for s in run.text.unicodeScalars {
                wide.append(wchar_t(bitPattern: (unicode || s.value < 0x80) ? s.value : 0x3F))
            }
            let (attrs, pair) = attributes(run.style)
            wide.withUnsafeBufferPointer { p in
                _ = steer_put(Int32(run.y), Int32(run.x), p.baseAddress, Int32(p.count), attrs, pair)
            }
        }
    }

    public func flush() {
        guard screen != nil else { return }
        wrefresh(steer_stdscr())
    }

    public func clear() {
        guard screen != nil else { return }
        let win = steer_stdscr()
        werase(win)
        clearok(win, true)
    }

    /// The next key, or `.none` when nothing is waiting. Never blocks, except to wait up to
    /// `KeyDecoder.patience` for the rest of an escape sequence whose start has arrived.
    public func readKey() -> Key {
        guard screen != nil else { return .none }
        let win = steer_stdscr()
        if !decoded.isEmpty { return decoded.removeFirst() }
        while true {
            var unit = readUnit()
            if unit == nil && decoder.isPending {
                wtimeout(win, Int32(decoder.patience * 1000))
                unit = readUnit()
                wtimeout(win, 0)
                if unit == nil { return decoder.timeOut() ?? .none }
            }
            guard let unit else { return .none }
            decoded = decoder.feed(unit)
            if !decoded.isEmpty { return decoded.removeFirst() }
        }
    }

    /// One unit from curses: a byte, or a key its terminfo entry decoded. (wgetch, not
    /// wget_wch: the decoder assembles UTF-8 itself.)
    private func readUnit() -> KeyDecoder.Unit? {
        let code = wgetch(steer_stdscr())
        if code == steer_err() { return nil }
        if code >= 0 && code < 256 { return .byte(UInt8(code)) }
        switch code {
        case steer_key_left(): return .key(.left)
        case steer_key_right(): return .key(.right)
        case steer_key_up(): return .key(.up)
        case steer_key_down(): return .key(.down)
        case steer_key_home(): return .key(.home)
        case steer_key_end(): return .key(.end)
        case steer_key_ppage(): return .key(.pageUp)
        case steer_key_npage(): return .key(.pageDown)
        case steer_key_resize(): return .key(.resize)
        case steer_key_backspace(): return .key(.backspace)
        case steer_key_enter(): return .key(.enter)
        default:
            // F-keys, Insert, Delete, modified keys …: named by curses, used by nothing.
            let name = keyname(code).map { String(cString: $0) } ?? "key \(code)"
            return .key(.ignored(name: KeyDecoder.printable(name)))
        }
    }

    /// Curses attributes and colour pair for a style; pairs are allocated on first use and
    /// cached; when they run out, later colours draw in the default pair.
    private func attributes(_ style: Style) -> (UInt32, Int16) {
        var a = steer_a_normal()
        if style.attributes.contains(.bold) { a |= steer_a_bold() }
        if style.attributes.contains(.dim) { a |= steer_a_dim() }
        if style.attributes.contains(.reverse) { a |= steer_a_reverse() }
        if style.attributes.contains(.underline) { a |= steer_a_underline() }
        guard colours != .none else { return (a, 0) }
        let fg = number(style.fg, background: false), bg = number(style.bg, background: true)
        if fg == -1 && bg == -1 { return (a, 0) }
        let key = (Int32(fg) + 1) << 16 | (Int32(bg) + 1)
        if let p = pairs[key] { return (a, p) }
        guard nextPair < maxPairs else { return (a, 0) }
        let p = Int16(nextPair)
        guard init_pair(p, fg, bg) != steer_err() else { return (a, 0) }
        nextPair += 1
        pairs[key] = p
        return (a, p)
    }

    /// The colour number curses is given: -1 for the default (or white on black where
    /// the terminal cannot keep its default colours), basic colours on an 8-colour terminal.
    private func number(_ c: Color, background: Bool) -> Int16 {
        var n = c.number
        if colours == .c8 && n >= 8 { n = c.basic.number }
        if n >= Int(steer_colors()) { n = -1 }
        if n == -1 && !defaultColoursWork { n = background ? 0 : 7 }
        return Int16(n)
    }
}
