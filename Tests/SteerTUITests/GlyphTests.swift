import Testing
@testable import SteerTUI

@Suite struct GlyphTests {
    @Test func theCodesetChoosesTheSet() {
        #expect(Glyphs.isUTF8(codeset: "UTF-8"))
        #expect(Glyphs.isUTF8(codeset: "utf8"))
        #expect(!Glyphs.isUTF8(codeset: "ANSI_X3.4-1968"))
        #expect(!Glyphs.isUTF8(codeset: "ISO-8859-1"))
    }

    @Test func everyGlyphIsOneColumnAndTheASCIISetIsASCII() {
        for g in [Glyphs.unicode, .ascii] {
            let all = g.barEighths + g.segmentFills + g.sparkLevels + g.corners + [g.barEmpty, g.horizontal, g.vertical, g.ellipsis]
            for s in all { #expect(Cell.displayable(s) == s) }
            #expect(g.barEighths.count == 9)
        }
        let ascii = Glyphs.ascii
        let text = ascii.barEighths + ascii.segmentFills + ascii.sparkLevels + ascii.corners
            + [ascii.barEmpty, ascii.horizontal, ascii.vertical, ascii.ellipsis]
        #expect(text.allSatisfy { $0.isASCII })
        #expect((ascii.separator + ascii.recording + ascii.leftRight).unicodeScalars.allSatisfy { $0.isASCII })
        #expect(String(String.UnicodeScalarView(ascii.sparkLevels)) == ".:-=+*#%@")
    }
}
