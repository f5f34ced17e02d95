import Testing
@testable import SteerTUI

@Suite struct BufferTests {
    let red = Style(fg: .red)

    @Test func putClipsAtTheEdgeAndNeverWraps() {
        var b = markedBuffer(8, 2)
        let n = b.put("steertop!", at: (3, 0), style: red)
        #expect(b.lines == ["@@@steer", "@@@@@@@@"])
        #expect(n == 9)
        for x in 3..<8 { #expect(b[x, 0].style == red) }
        #expect(b[2, 0].style == .plain)
    }

    @Test func putStopsAtMaxWidthAndSkipsCellsLeftOfTheBuffer() {
        var b = markedBuffer(8, 1)
        #expect(b.put("abcdef", at: (1, 0), style: red, maxWidth: 3) == 3)
        #expect(b.lines == ["@abc@@@@"])
        b.put("xyz", at: (-2, 0), style: red)
        #expect(b.lines == ["zabc@@@@"])
        b.put("row", at: (0, 1), style: red)  // below the buffer: nothing
        #expect(b.lines == ["zabc@@@@"])
    }

    @Test func wideControlAndCombiningCharactersBecomeAQuestionMark() {
        var b = markedBuffer(10, 1)
        b.put("a\u{1B}[2Jb東e\u{301}😀", at: (0, 0), style: .plain)
        #expect(b.lines == ["a?[2Jb?e??"])
        #expect(Cell.displayable("█") == "█")
        #expect(Cell.displayable("·") == "·")
        #expect(Cell.displayable("é") == "é")
    }

    @Test func fillAndSetStayInsideTheirRect() {
        var b = markedBuffer(6, 4)
        b.fill(Rect(x: 1, y: 1, width: 3, height: 2), "-", style: red)
        b.fill(Rect(x: 4, y: 3, width: 9, height: 9), "+", style: red)
        b.set(0, 0, "x", style: red)
        b.set(6, 0, "y", style: red)
        #expect(b.lines == ["x@@@@@", "@---@@", "@---@@", "@@@@++"])
    }

    @Test func equalBuffersCompareEqualAndAStyleMakesThemDiffer() {
        var a = Buffer(width: 3, height: 1), b = Buffer(width: 3, height: 1)
        a.put("abc", at: (0, 0), style: .plain)
        b.put("abc", at: (0, 0), style: .plain)
        #expect(a == b)
        b.setStyle(1, 0, red)
        #expect(a != b)
    }
}

@Suite struct RendererTests {
    func frame(_ text: [String], style: Style = .plain) -> Buffer {
        var b = Buffer(width: text[0].count, height: text.count)
        for (y, line) in text.enumerated() { b.put(line, at: (0, y), style: style) }
        return b
    }

    @Test func theFirstFrameClearsAndSendsEveryNonBlankCellInRuns() {
        let backend = TestBackend(width: 6, height: 2)
        let r = Renderer(backend: backend)
        var f = frame(["ab  cd", "      "])
        f.setStyle(1, 0, Style(fg: .green))
        // The blanks after "b" take its colour (a space shows no foreground): one run.
        #expect(r.render(f) == 6)
        #expect(backend.clears == 1)
        #expect(backend.runs == [
            Run(x: 0, y: 0, text: "a"), Run(x: 1, y: 0, text: "b  ", style: Style(fg: .green)), Run(x: 4, y: 0, text: "cd"),
        ])
        f.unifyBlanks()
        #expect(backend.screen == f)
    }

    /// A blank takes the style before it only where nobody could see the difference.
    @Test func blanksTakeTheStyleBeforeThemOnlyWhereItIsInvisible() {
        let green = Style(fg: .green, attributes: .bold), under = Style(fg: .green, attributes: .underline)
        let onBlue = Style(bg: .blue), reverse = Style(attributes: .reverse)
        var f = frame(["a b c d e "])
        f.setStyle(0, 0, green)       // "a " -> the blank turns green bold
        f.setStyle(2, 0, under)       // "b " -> an underline shows on a space: kept plain
        f.setStyle(4, 0, onBlue)      // "c " -> a background shows: kept plain
        f.setStyle(6, 0, green); f.setStyle(7, 0, reverse)  // a reverse blank keeps its own
        f.unifyBlanks()
        #expect(f[1, 0].style == green)
        #expect(f[3, 0].style == .plain && f[5, 0].style == .plain)
        #expect(f[7, 0].style == reverse)
        // Never across rows: the first cell of a row keeps its own style.
        var g = frame(["x ", "  "])
        g.setStyle(1, 0, green)
        g.unifyBlanks()
        #expect(g[0, 1].style == .plain && g[1, 1].style == .plain)
    }

    @Test func aSecondIdenticalFrameSendsNothing() {
        let backend = TestBackend(width: 6, height: 2)
        let r = Renderer(backend: backend)
        let f = frame(["steer ", " top  "])
        r.render(f)
        backend.reset()
        #expect(r.render(f) == 0)
        #expect(backend.draws.isEmpty)
        #expect(backend.flushes == 0)
        #expect(backend.clears == 0)
    }

    @Test func aOneCellChangeSendsOneCell() {
        let backend = TestBackend(width: 6, height: 2)
        let r = Renderer(backend: backend)
        var f = frame(["cpu 42", "cpu 17"])
        r.render(f)
        backend.reset()
        f.set(5, 1, "8", style: .plain)
        #expect(r.render(f) == 1)
        #expect(backend.runs == [Run(x: 5, y: 1, text: "8")])
        #expect(backend.flushes == 1)
        #expect(backend.screen == f)
    }

    @Test func aStyleChangeAloneIsSent() {
        let backend = TestBackend(width: 4, height: 1)
        let r = Renderer(backend: backend)
        var f = frame(["soft"])
        r.render(f)
        backend.reset()
        f.setStyle(Rect(x: 0, y: 0, width: 4, height: 1), Style(fg: .magenta))
        r.render(f)
        #expect(backend.runs == [Run(x: 0, y: 0, text: "soft", style: Style(fg: .magenta))])
    }

    @Test func aNewSizeOrInvalidateClearsAndRedraws() {
        let backend = TestBackend(width: 4, height: 1)
        let r = Renderer(backend: backend)
        r.render(frame(["abcd"]))
        backend.size = Size(width: 5, height: 1)
        backend.reset()
        r.render(frame(["abcde"]))
        #expect(backend.clears == 1)
        #expect(backend.runs == [Run(x: 0, y: 0, text: "abcde")])
        backend.reset()
        r.invalidate()
        r.render(frame(["abcde"]))
        #expect(backend.clears == 1)
        #expect(backend.runs.count == 1)
    }
}
