import ArgumentParser
import SteerKit
import SteerTUI

#if canImport(Glibc)
import Glibc
#endif

/// How the dashboard looks: shared by live and replay.
struct DisplayOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Colour theme: a name in themes/ (default, high-contrast, monochrome) or a file.", valueName: "name|path"))
    var theme: String = "default"

    @Flag(help: "Plain ASCII instead of block and line characters (automatic when the locale is not UTF-8).")
    var ascii = false

    @Option(help: ArgumentHelp("Colours: 256, 8 or none (default: what the terminal has; NO_COLOR means none).", valueName: "n"))
    var colors: String?

    func validate() throws {
        if let colors, !["256", "8", "none", "0"].contains(colors) {
            throw ValidationError("--colors must be 256, 8 or none (got \(colors))")
        }
        // A theme given as a path that exists but is no theme file (a device, a FIFO, a
        // huge file) is an error, not a silent fallback: checked without blocking or reading it.
        if theme.contains("/"), LibC.access(theme, F_OK) {
            switch BoundedFile.openRegular(theme) {
            case .success(let opened):
                LibC.close(opened.fd)
                if opened.size > BoundedFile.Kind.theme.limit {
                    throw ValidationError(BoundedFile.error(.tooLarge(BoundedFile.Kind.theme.limit), path: theme, kind: .theme).description)
                }
            case .failure(.system): break
            case .failure(let f):
                throw ValidationError(BoundedFile.error(f, path: theme, kind: .theme).description)
            }
        }
    }

    var colourCap: ColourSupport? {
        if let colors { return colors == "256" ? .c256 : colors == "8" ? .c8 : ColourSupport.none }
        if let noColor = LibC.environment("NO_COLOR"), !noColor.isEmpty { return ColourSupport.none }
        return nil
    }
}

/// The terminal must be one a dashboard can draw on: checked before curses starts, so the
/// message is one line and the terminal is untouched.
func checkTerminal() throws {
    guard LibC.isTerminal(1) else {
        throw SteerError.invalid("standard output is not a terminal: the dashboard needs one; to record without a screen use `steertop record`")
    }
    let term = LibC.environment("TERM") ?? ""
    guard !term.isEmpty else {
        throw SteerError.invalid("TERM is not set: set it to your terminal's type (e.g. TERM=xterm-256color), or use `steertop record`")
    }
    guard term != "dumb" else {
        throw SteerError.invalid("TERM=dumb cannot draw a dashboard: use a terminal that can (e.g. TERM=xterm-256color), or `steertop record`")
    }
}

/// The event loop shared by live and replay: poll on the terminal, the signal pipe and
/// the subclass's descriptors; keys; timers; a redraw when something changed, of only
/// the cells that changed.
class DashboardApp {
    let backend: CursesBackend
    let renderer: Renderer
    var state = DashboardState()
    var layout = DashboardView.Layout()
    var themeName: String
    var theme: Theme
    var palette: Palette
    let glyphs: Glyphs
    let catalog: ThemeCatalog
    let signals: SignalPipe
    var dirty = true
    var quitting = false
    /// What a one-line prompt at the bottom asks for.
    enum PromptPurpose { case filter, jump }
    /// The prompt (replay's jump, the interfaces' filter), with what was typed.
    var prompt: (label: String, text: String, purpose: PromptPurpose)?
    private var lastSizeCheck = 0.0
    /// Keys read in one wake-up at most (a paste of megabytes is read over several).
    static let maxKeysPerWakeup = 4096

    init(display: DisplayOptions) throws {
        try checkTerminal()
        // Signals first: SIGINT, SIGTERM, SIGHUP (a dropped SSH session) and SIGQUIT (^\) end the loop
        // cleanly; SIGWINCH is left to curses, which turns it into a .resize key.
        signals = try SignalPipe([SIGINT, SIGTERM, SIGHUP, SIGQUIT])
        catalog = ThemeCatalog(directories: Locations.themeDirectories)
        let loaded = Theme.load(nameOrPath: display.theme, searchDirectories: Locations.themeDirectories)
        do {
            backend = try CursesBackend(colours: display.colourCap)
        } catch {
            throw SteerError.invalid(error.description)
        }
        renderer = Renderer(backend: backend)
        glyphs = display.ascii || !backend.unicode ? .ascii : .unicode
        themeName = loaded.theme.name
        theme = loaded.theme
        palette = theme.palette(backend.colours)
        if let w = loaded.warnings.first {
            let more = loaded.warnings.count > 1 ? " (and \(loaded.warnings.count - 1) more)" : ""
            state.message = .init("\(w)\(more)", isError: true)
        }
        state.host = LibC.hostName()
    }

    /// Restores the terminal; safe to call twice.
    func shutdown() {
        backend.shutdown()
    }

    // MARK: for subclasses

    /// Seconds until the subclass needs `onTimer` (nil: no timer).
    func secondsUntilTimer(now: Double) -> Double? { nil }
    /// The timer is due.
    func onTimer(now: Double) {}
    /// Extra descriptors to poll.
    var extraDescriptors: [Int32] { [] }
    /// One of `extraDescriptors` is readable.
    func onReadable(_ fd: Int32) {}
    /// A key the common handler did not take; returns whether it was used. `alone` is false
    /// when other keys arrived with it (a paste, bytes a program sent): such keys must not
    /// change the kernel's settings.
    func handle(_ key: Key, alone: Bool) -> Bool { false }
    /// Before each frame: bring `state` up to date.
    func prepareFrame() {}
    /// The help lines for `?` are the view's; this is the hint in the status line.
    var quitHint: String { "q quit · ? help" }

    // MARK: the loop

    func run() {
        defer { shutdown() }
        while !quitting {
            let now = LibC.monotonic()
            var timeout = 1.0
            if let t = secondsUntilTimer(now: now) { timeout = min(timeout, max(t, 0)) }
            let fds = [backend.inputDescriptor, signals.fd] + extraDescriptors
            let ready = LibC.pollReadable(fds, timeout: timeout)
            if ready.contains(signals.fd) || signals.last != nil {
                quitting = true
                break
            }
            for fd in ready where fd != backend.inputDescriptor && fd != signals.fd { onReadable(fd) }
            if ready.contains(backend.inputDescriptor) {
                // All that is waiting, then dispatched: keys that arrive together (a paste
                // the terminal did not bracket, keys sent by a program) are not typed one
                // at a time, and may not act on the kernel.
                var keys: [Key] = []
                while keys.count < Self.maxKeysPerWakeup {
                    let key = backend.readKey()
                    if key == .none { break }
                    keys.append(key)
                }
                let typed = keys.filter { $0 != .resize }.count
                for key in keys {
                    dispatch(key, alone: typed <= 1)
                    dirty = true
                    if quitting { break }
                }
            }
            let after = LibC.monotonic()
            if let t = secondsUntilTimer(now: after), t <= 0 { onTimer(now: after) }
            // Poll the size too: SIGWINCH can be lost (a multiplexer, a stopped process).
            if after - lastSizeCheck >= 1 {
                lastSizeCheck = after
                if let size = backend.terminalSize(), backend.resize(to: size) {
                    renderer.invalidate()
                    backend.clear()
                    dirty = true
                }
            }
            if dirty && !quitting { draw() }
        }
    }

    func draw() {
        dirty = false
        prepareFrame()
        var frame = Buffer(size: backend.size)
        layout = DashboardView.render(state, palette: palette, glyphs: glyphs, into: &frame)
        if let prompt, frame.size.height > 0 {
            let y = frame.size.height - 1
            frame.fill(Rect(x: 0, y: y, width: frame.size.width, height: 1), with: Cell(" ", style: palette[.selection]))
            frame.put(prompt.label + prompt.text + "_", at: (0, y), style: palette[.selection], maxWidth: frame.size.width)
        }
        renderer.render(frame)
    }

    private func dispatch(_ key: Key, alone: Bool) {
        switch key {
        case .ignored(let name):
            state.message = .init("key \(name) does nothing here; ? shows the keys")
            return
        case .paste(let count):
            state.message = .init("pasted text ignored (\(count) characters): keys act one at a time")
            return
        default:
            break
        }
        if prompt != nil {
            promptKey(key)
            return
        }
        if state.showHelp && key != .resize {
            // An overlay takes the key that closes it, and nothing else happens.
            state.showHelp = false
            if case .char(let c) = key, c == "q" || c == "Q" { quitting = true }
            return
        }
        switch key {
        case .char("q"), .char("Q"):
            quitting = true
        case .char("?"):
            state.showHelp = true
        case .char("c"):
            themeName = catalog.next(after: themeName)
            let loaded = Theme.load(nameOrPath: themeName, searchDirectories: catalog.directories)
            theme = loaded.theme
            palette = theme.palette(backend.colours)
            state.message = loaded.warnings.first.map { .init("\($0)", isError: true) } ?? .init("theme \(themeName)")
        case .pageUp:
            state.cpuScroll = max(0, layout.cpuFirst - max(layout.cpuPage, 1))
        case .pageDown:
            state.cpuScroll = min(layout.cpuScrollMax, layout.cpuFirst + max(layout.cpuPage, 1))
        case .up:
            state.ifaceScroll = max(0, layout.ifaceFirst - 1)
        case .down:
            state.ifaceScroll = min(layout.ifaceScrollMax, layout.ifaceFirst + 1)
        case .char("s"):
            state.ifaceOrder = state.ifaceOrder.next
            state.ifaceScroll = 0
            state.message = .init("interfaces " + state.ifaceOrder.sentence)
        case .char("f"):
            askFilter()
        case .resize:
            renderer.invalidate()
            backend.clear()
        default:
            if !handle(key, alone: alone) {
                if case .char(let c) = key, !c.isWhitespace || c == " " {
                    state.message = .init("key \(c) does nothing here; ? shows the keys")
                }
            }
        }
    }

    // MARK: prompt

    /// Asks for the interfaces' filter (f, and / in the live view).
    func askFilter() {
        prompt = ("filter interfaces (pod, namespace or name; empty for all): ", state.ifaceFilter, .filter)
    }

    func promptKey(_ key: Key) {
        guard var p = prompt else { return }
        switch key {
        case .escape:
            prompt = nil
        case .enter:
            prompt = nil
            if p.purpose == .filter {
                state.ifaceFilter = p.text
                state.ifaceScroll = 0
                state.message = .init(p.text.isEmpty ? "all interfaces" : "interfaces matching \"\(p.text)\"")
            } else {
                promptDone(p.text)
            }
        case .backspace:
            if !p.text.isEmpty { p.text.removeLast() }
            prompt = p
        case .char(let c):
            if p.text.count < 32 && !c.isNewline { p.text.append(c) }
            prompt = p
        default:
            break
        }
    }

    func promptDone(_ text: String) {}
}

/// Holds a value handed from a worker thread to the event loop: the worker sets it, then
/// writes a byte to the loop's pipe; the loop reads the byte, then the value.
final class Handoff<T>: @unchecked Sendable {
    var value: T?
}
