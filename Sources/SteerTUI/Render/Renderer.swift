/// A run of adjacent cells on one row that share a style: the unit a Backend draws.
public struct Run: Equatable, Sendable {
    public var x: Int
    public var y: Int
    /// One single-width scalar per cell.
    public var text: String
    public var style: Style

    public init(x: Int, y: Int, text: String, style: Style = .plain) {
        self.x = x; self.y = y; self.text = text; self.style = style
    }
}

/// Where frames end up: the terminal (CursesBackend) or a recorder (TestBackend). A
/// backend is a dumb sink: it draws what it is sent and knows nothing of widgets.
public protocol Backend: AnyObject {
    /// The screen size now.
    var size: Size { get }
    /// Draws runs (in the order given) into the backend's off-screen state.
    func draw(_ runs: [Run])
    /// Makes what was drawn visible.
    func flush()
    /// Blanks the screen (after a resize, or when it may hold anything else).
    func clear()
}

/// Sends frames to a Backend, only what changed since the last frame (ratatui's
/// Terminal::draw): an idle dashboard sends nothing over SSH.
public final class Renderer {
    public let backend: any Backend
    /// The last frame sent; nil until the first, and after `invalidate()`.
    public private(set) var previous: Buffer?

    public init(backend: any Backend) { self.backend = backend }

    /// Forgets what the screen shows: the next frame clears it and is sent whole. Call it
    /// after a resize or when something else may have written to the terminal.
    public func invalidate() { previous = nil }

    /// Sends the cells of `frame` that differ from the previous frame, grouped in runs of
    /// one style on one row, then flushes. A frame of another size than the previous one
    /// clears the screen first. Returns the number of cells sent (0: nothing was sent,
    /// not even a flush).
    @discardableResult
    public func render(_ frame: Buffer) -> Int {
        var frame = frame
        frame.unifyBlanks()
        var last: Buffer
        if let p = previous, p.width == frame.width, p.height == frame.height {
            last = p
        } else {
            backend.clear()
            last = Buffer(width: frame.width, height: frame.height)
        }
        let runs = Renderer.diff(last, frame)
        previous = frame
        guard !runs.isEmpty else { return 0 }
        backend.draw(runs)
        backend.flush()
        return runs.reduce(0) { $0 + $1.text.unicodeScalars.count }
    }

    /// The runs that turn `old` into `new` (same size). A run is a maximal stretch of
    /// changed cells of one style on one row.
    public static func diff(_ old: Buffer, _ new: Buffer) -> [Run] {
        precondition(old.width == new.width && old.height == new.height, "diff of buffers of different sizes")
        var runs: [Run] = []
        let w = new.width
        old.cells.withUnsafeBufferPointer { a in
            new.cells.withUnsafeBufferPointer { b in
                for y in 0..<new.height {
                    let row = y * w
                    var x = 0
                    while x < w {
                        if a[row + x] == b[row + x] { x += 1; continue }
                        let style = b[row + x].style
                        var text = String.UnicodeScalarView()
                        let start = x
                        while x < w, a[row + x] != b[row + x], b[row + x].style == style {
                            text.append(b[row + x].scalar)
                            x += 1
                        }
                        runs.append(Run(x: start, y: y, text: String(text), style: style))
                    }
                }
            }
        }
        return runs
    }
}

/// A Backend that records what it is sent and keeps the screen it would show: for tests
/// of the renderer and of whole frames.
public final class TestBackend: Backend {
    public var size: Size
    /// Every `draw` call's runs, in order.
    public private(set) var draws: [[Run]] = []
    public private(set) var flushes = 0
    public private(set) var clears = 0
    /// What the terminal would show: runs applied to a blank grid.
    public private(set) var screen: Buffer

    public init(width: Int, height: Int) {
        size = Size(width: width, height: height)
        screen = Buffer(width: width, height: height)
    }

    /// All runs sent since the last `reset()`.
    public var runs: [Run] { draws.flatMap { $0 } }

    /// Forgets the recorded calls (the screen stays).
    public func reset() { draws = []; flushes = 0; clears = 0 }

    public func draw(_ runs: [Run]) {
        draws.append(runs)
        for r in runs {
            var x = r.x
            for s in r.text.unicodeScalars {
                screen[x, r.y] = Cell(s, style: r.style)
                x += 1
            }
        }
    }

    public func flush() { flushes += 1 }

    public func clear() {
        clears += 1
        screen = Buffer(width: size.width, height: size.height)
    }
}
