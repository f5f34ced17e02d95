/// One terminal cell: a single-width Unicode scalar and its style.
public struct Cell: Hashable, Sendable {
    public var scalar: Unicode.Scalar
    public var style: Style

    public init(_ scalar: Unicode.Scalar, style: Style = .plain) {
        self.scalar = scalar; self.style = style
    }

    /// A space in the terminal's default colours: what a cleared screen holds.
    public static let blank = Cell(" ")

    /// `scalar` if it takes exactly one column, else "?". Everything drawn is single-width:
    /// control and format characters, combining marks, East Asian wide characters and
    /// emoji would shift the rest of the row (or move the cursor), so names that carry
    /// them (a netns file name can hold almost anything) show a "?" in their place.
    @inline(__always)
    public static func displayable(_ s: Unicode.Scalar) -> Unicode.Scalar {
        let v = s.value
        if v >= 0x20 && v < 0x7F { return s }
        if v < 0xA0 { return "?" }
        return isSingleWidth(s) ? s : "?"
    }

    static func isSingleWidth(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        // Arrows, box drawing, block elements, geometric shapes: our own glyphs.
        if v >= 0x2190 && v < 0x25FD { return true }
        switch s.properties.generalCategory {
        case .control, .format, .nonspacingMark, .spacingMark, .enclosingMark, .surrogate,
             .privateUse, .unassigned, .lineSeparator, .paragraphSeparator:
            return false
        default:
            break
        }
        if s.properties.isEmojiPresentation { return false }
        for (lo, hi) in wideRanges where v >= lo && v <= hi { return false }
        return true
    }

    /// East Asian Wide and Fullwidth blocks (Unicode's EastAsianWidth.txt, W and F, by block).
    private static let wideRanges: [(UInt32, UInt32)] = [
        (0x1100, 0x115F), (0x2E80, 0x303E), (0x3041, 0x33FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF),
        (0xA000, 0xA4CF), (0xA960, 0xA97F), (0xAC00, 0xD7A3), (0xF900, 0xFAFF), (0xFE10, 0xFE19),
        (0xFE30, 0xFE6F), (0xFF00, 0xFF60), (0xFFE0, 0xFFE6), (0x16FE0, 0x16FE4), (0x17000, 0x18AFF),
        (0x1B000, 0x1B2FF), (0x1F300, 0x1F64F), (0x1F900, 0x1F9FF), (0x20000, 0x2FFFD), (0x30000, 0x3FFFD),
    ]
}

/// A position and size in cells.
public struct Rect: Hashable, Sendable {
    public var x: Int, y: Int, width: Int, height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = max(0, width); self.height = max(0, height)
    }

    public var right: Int { x + width }
    public var bottom: Int { y + height }
    public var isEmpty: Bool { width == 0 || height == 0 }

    /// The overlap of two rectangles (empty when they do not meet).
    public func intersection(_ o: Rect) -> Rect {
        let x0 = max(x, o.x), y0 = max(y, o.y)
        let x1 = min(right, o.right), y1 = min(bottom, o.bottom)
        return Rect(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
    }

    /// The row `dy` of this rectangle, one line high.
    public func row(_ dy: Int) -> Rect { Rect(x: x, y: y + dy, width: width, height: 1) }
}

/// A terminal size in cells.
public struct Size: Hashable, Sendable, CustomStringConvertible {
    public var width: Int, height: Int
    public init(width: Int, height: Int) { self.width = width; self.height = height }
    public var description: String { "\(width)x\(height)" }
}

/// A grid of cells (ratatui's Buffer): widgets draw into it, the Renderer diffs two of
/// them and sends the difference to a Backend. A plain value; drawing outside clips.
public struct Buffer: Equatable, Sendable {
    public private(set) var width: Int
    public private(set) var height: Int
    /// Row-major, `width * height` cells.
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int, fill: Cell = .blank) {
        self.width = max(0, width); self.height = max(0, height)
        cells = [Cell](repeating: fill, count: self.width * self.height)
    }

    public init(size: Size, fill: Cell = .blank) {
        self.init(width: size.width, height: size.height, fill: fill)
    }

    public var size: Size { Size(width: width, height: height) }
    public var area: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    /// The cell at (x, y); reading outside gives a blank cell, writing outside does nothing.
    /// Gives each blank the style of the cell before it on its row wherever nobody could
    /// see the difference: a space shows its background, reverse and underline, never its
    /// foreground, bold or dim. The gaps between figures of one colour then need no colour
    /// switch: curses rewrites unchanged gaps rather than move the cursor, and each switch
    /// there costs about 20 bytes over SSH (measured: a fifth of the dashboard's output).
    public mutating func unifyBlanks() {
        let w = width
        cells.withUnsafeMutableBufferPointer { c in
            for y in 0..<height {
                let row = y * w
                for x in 1..<max(1, w) where c[row + x].scalar == " " {
                    let own = c[row + x].style, before = c[row + x - 1].style
                    if own != before && Buffer.invisibleOnBlank(own) && Buffer.invisibleOnBlank(before) {
                        c[row + x].style = before
                    }
                }
            }
        }
    }

    /// Whether a style shows nothing on a space: the default background, neither reverse
    /// nor underline.
    @inline(__always)
    static func invisibleOnBlank(_ s: Style) -> Bool {
        s.bg == .default && s.attributes.isDisjoint(with: [.reverse, .underline])
    }

    public subscript(x: Int, y: Int) -> Cell {
        get {
            guard x >= 0, y >= 0, x < width, y < height else { return .blank }
            return cells[y * width + x]
        }
        set {
            guard x >= 0, y >= 0, x < width, y < height else { return }
            cells[y * width + x] = newValue
        }
    }

    /// Sets one cell (clipped; the scalar goes through `Cell.displayable`).
    public mutating func set(_ x: Int, _ y: Int, _ scalar: Unicode.Scalar, style: Style) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        cells[y * width + x] = Cell(Cell.displayable(scalar), style: style)
    }

    /// Changes the style of one cell and keeps its symbol.
    public mutating func setStyle(_ x: Int, _ y: Int, _ style: Style) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        cells[y * width + x].style = style
    }

    /// Writes `text` from (x, y) rightwards, one cell per Unicode scalar, never wrapping:
    /// at most `maxWidth` cells, and nothing beyond the buffer's edges. Returns the number
    /// of cells the text took (at most `maxWidth`, whether or not they were on screen).
    @discardableResult
    public mutating func put(_ text: String, at p: (x: Int, y: Int), style: Style, maxWidth: Int = .max) -> Int {
        guard p.y >= 0, p.y < height, maxWidth > 0 else { return 0 }
        let rowStart = p.y * width
        var x = p.x, n = 0
        for s in text.unicodeScalars {
            if n == maxWidth { break }
            if x >= width { n = min(maxWidth, text.unicodeScalars.count); break }
            if x >= 0 { cells[rowStart + x] = Cell(Cell.displayable(s), style: style) }
            x += 1
            n += 1
        }
        return n
    }

    /// Fills a rectangle (clipped) with one cell.
    public mutating func fill(_ rect: Rect, with cell: Cell) {
        let r = rect.intersection(area)
        guard !r.isEmpty else { return }
        let c = Cell(Cell.displayable(cell.scalar), style: cell.style)
        let w = width
        cells.withUnsafeMutableBufferPointer { p in
            for y in r.y..<r.bottom {
                let start = y * w
                p[(start + r.x)..<(start + r.right)].update(repeating: c)
            }
        }
    }

    /// Fills a rectangle with `scalar` in `style`.
    public mutating func fill(_ rect: Rect, _ scalar: Unicode.Scalar, style: Style) {
        fill(rect, with: Cell(scalar, style: style))
    }

    /// Gives every cell of a rectangle `style`, keeping the symbols.
    public mutating func setStyle(_ rect: Rect, _ style: Style) {
        let r = rect.intersection(area)
        guard !r.isEmpty else { return }
        for y in r.y..<r.bottom {
            for x in r.x..<r.right { cells[y * width + x].style = style }
        }
    }

    /// Row `y` as text (symbols only).
    public func line(_ y: Int) -> String {
        guard y >= 0, y < height else { return "" }
        var s = String.UnicodeScalarView()
        for x in 0..<width { s.append(cells[y * width + x].scalar) }
        return String(s)
    }

    /// Every row as text: what tests compare with string literals.
    public var lines: [String] { (0..<height).map(line) }

    /// The styles of row `y`, one per cell.
    public func styles(row y: Int) -> [Style] {
        guard y >= 0, y < height else { return [] }
        return (0..<width).map { cells[y * width + $0].style }
    }
}
