import Testing
@testable import SteerTUI

/// The curses backend needs a real terminal (it was tried in tmux: 256 and 8 colours, none
/// with TERM=vt100, ASCII under LANG=C, resizes both ways, endwin on quit); what can be
/// checked without one is what it tells the user when it cannot start.
@Suite struct CursesBackendTests {
    @Test func failuresSayWhatToDo() {
        #expect(CursesBackend.Failure.unknownTerminal(term: "bogus").description
                == "curses does not know the terminal type TERM=bogus: try TERM=xterm-256color or TERM=vt100")
        #expect(CursesBackend.Failure.unknownTerminal(term: "").description
                == "TERM is not set: set it to your terminal's type (e.g. TERM=xterm-256color)")
        #expect(CursesBackend.Failure.notATerminal.description.hasPrefix("steertop needs a terminal"))
    }
}
