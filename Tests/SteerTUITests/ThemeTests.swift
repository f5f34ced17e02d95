import Testing
import SteerKit
@testable import SteerTUI

@Suite struct ThemeTests {
    @Test func theBuiltInDefaultIsExactlyDefaultTheme() throws {
        let text = try LibC.readText(themesDirectory + "/default.theme").get()
        #expect(text == Theme.builtinSource)
        let loaded = Theme.load(nameOrPath: "default", searchDirectories: [themesDirectory])
        #expect(loaded.warnings == [])
        #expect(loaded.path == themesDirectory + "/default.theme")
        #expect(loaded.theme == Theme.builtin)
    }

    @Test(arguments: ["default", "high-contrast", "monochrome"])
    func shippedThemesParseCleanlyAndSetEveryRole(name: String) throws {
        let loaded = Theme.load(nameOrPath: name, searchDirectories: [themesDirectory])
        #expect(loaded.warnings == [])
        #expect(loaded.theme.name == name)
        let text = try LibC.readText(themesDirectory + "/\(name).theme").get()
        let keys = Set(text.split(separator: "\n").compactMap { line -> String? in
            guard !line.hasPrefix("#"), let eq = line.firstIndex(of: "=") else { return nil }
            return line[..<eq].trimmingCharacters()
        })
        #expect(keys == Set(Role.allCases.map(\.name)))
    }

    @Test func aGoodLine() {
        let (theme, warnings) = Theme.parse("""
            # comment
            soft = 208/yellow on 236 bold underline   # trailing comment
            header = reverse
            ok = bright-green
            """, name: "t", file: "t.theme")
        #expect(warnings == [])
        #expect(theme[.soft] == RoleStyle(fg: ColourSpec(c256: .indexed(208), c8: .yellow),
                                          bg: ColourSpec(c256: .indexed(236), c8: .black), attributes: [.bold, .underline]))
        #expect(theme[.header] == RoleStyle(attributes: .reverse))
        #expect(theme[.ok] == RoleStyle(fg: ColourSpec(c256: .indexed(10), c8: .green)))
        // Roles the text leaves out keep the default's style.
        #expect(theme[.drop] == Theme.builtin[.drop])
    }

    @Test func badLinesNameTheFileLineAndKeyAndTheRestStillApplies() {
        let text = """
            # a theme with mistakes
            usr = green
            sys = red
            irq = yellow
            idle = dim
            net = cyan
            soft = purpel bold
            sfot = magenta
            stale = 244/default blink
            warn = yellow on
            mode is yellow
            drop = 300
            error = white on red bold
            """
        let (theme, warnings) = Theme.parse(text, name: "x", file: "themes/x.theme")
        #expect(warnings.map(\.description) == [
            "themes/x.theme:7: unknown colour \"purpel\" for soft",
            "themes/x.theme:8: unknown role \"sfot\"",
            "themes/x.theme:9: unknown attribute \"blink\" for stale",
            "themes/x.theme:10: \"on\" needs a background colour for warn",
            "themes/x.theme:11: expected \"role = colour [on colour] [attributes]\", got \"mode is yellow\"",
            "themes/x.theme:12: unknown colour \"300\" for drop",
        ])
        #expect(theme[.usr].fg == ColourSpec(.green))
        #expect(theme[.soft] == Theme.builtin[.soft])
        #expect(theme[.stale] == Theme.builtin[.stale])
        #expect(theme[.error] == RoleStyle(fg: ColourSpec(.white), bg: ColourSpec(.red), attributes: .bold))
    }

    @Test func loadingAFileWithABadLineWarnsWithItsPath() throws {
        try withScratchDirectory("themes-bad") { dir in
            try LibC.writeFileAtomically(dir + "/x.theme", "usr = green\nsoft = purpel\n").get()
            let loaded = Theme.load(nameOrPath: "x", searchDirectories: ["/nonexistent", dir])
            #expect(loaded.path == dir + "/x.theme")
            #expect(loaded.warnings.map(\.description) == ["\(dir)/x.theme:2: unknown colour \"purpel\" for soft"])
            #expect(loaded.theme[.usr].fg == ColourSpec(.green))
            #expect(loaded.theme.name == "x")
        }
    }

    @Test func aThemeThatCannotBeFoundOrReadFallsBackToTheBuiltInDefault() throws {
        let missing = Theme.load(nameOrPath: "nosuch", searchDirectories: [themesDirectory])
        #expect(missing.theme == Theme.builtin)
        #expect(missing.path == nil)
        #expect(missing.warnings.map(\.description)
                == ["nosuch: theme not found in \(themesDirectory); using the built-in default"])

        withScratchDirectory("themes-dir") { dir in
            _ = LibC.makeDirectories(dir + "/d.theme")
            let directory = Theme.load(nameOrPath: dir + "/d.theme", searchDirectories: [])
            #expect(directory.theme == Theme.builtin)
            #expect(directory.warnings.map(\.description)
                    == ["\(dir)/d.theme: it is a directory, not a theme file; using the built-in default"])
            // A device is named as such, never read (issue 12: /dev/zero said "not found").
            #expect(Theme.load(nameOrPath: "/dev/zero", searchDirectories: []).warnings.map(\.description)
                    == ["/dev/zero: it is a character device, not a theme file; using the built-in default"])
        }

        // A regular file whose read fails (EIO at offset 0), even for root.
        let unreadable = Theme.load(nameOrPath: "/proc/self/mem", searchDirectories: [])
        #expect(unreadable.theme == Theme.builtin)
        #expect(unreadable.warnings.first?.description.hasPrefix("/proc/self/mem: cannot read it (") == true)
    }

    @Test func resolvingFor256And8AndNoColours() {
        let t = Theme.builtin
        #expect(t.resolve(.soft, colours: .c256) == Style(fg: .indexed(170)))
        #expect(t.resolve(.soft, colours: .c8) == Style(fg: .magenta))
        #expect(t.resolve(.soft, colours: .none) == Style())
        #expect(t.resolve(.error, colours: .c256) == Style(fg: .indexed(196), attributes: .bold))
        #expect(t.resolve(.error, colours: .c8) == Style(fg: .red, attributes: .bold))
        #expect(t.resolve(.error, colours: .none) == Style(attributes: .bold))
        #expect(t.resolve(.selection, colours: .c8) == Style(fg: .black, bg: .yellow, attributes: .bold))
        #expect(t.resolve(.header, colours: .c256) == Style(fg: .indexed(231), bg: .indexed(24), attributes: .bold))
    }

    @Test func paletteNumbersFallBackToTheNearestBasicColour() {
        #expect(Color.indexed(208).basic == .yellow)
        #expect(Color.indexed(196).basic == .red)
        #expect(Color.indexed(24).basic == .blue)
        #expect(Color.indexed(240).basic == .black)
        #expect(Color.indexed(250).basic == .white)
        #expect(Color.indexed(12).basic == .blue)
        #expect(Theme.colour("208") == ColourSpec(c256: .indexed(208), c8: .yellow))
        #expect(Theme.colour("3") == ColourSpec(.yellow))
    }

    @Test func theCatalogListsTheThemesDirectory() {
        let catalog = ThemeCatalog(directories: [themesDirectory, "/nonexistent"])
        #expect(catalog.names() == ["default", "high-contrast", "monochrome"])
        #expect(catalog.next(after: "default") == "high-contrast")
        #expect(catalog.next(after: "monochrome") == "default")
        #expect(catalog.next(after: "gone") == "default")
        #expect(ThemeCatalog(directories: []).names() == ["default"])
    }

    @Test func roleNamesRoundTrip() {
        for r in Role.allCases { #expect(Role(name: r.name) == r) }
        #expect(Role.allCases.map(\.index) == Array(0..<Role.allCases.count))
    }
}
