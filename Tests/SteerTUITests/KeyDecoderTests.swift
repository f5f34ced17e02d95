import Testing
@testable import SteerTUI

/// Feeds text through a decoder as curses would hand it over (no terminfo keys), timing
/// out at the end as the backend does when nothing more arrives.
private func decode(_ text: String, timeOut: Bool = true) -> [Key] {
    decode(units: text.utf8.map { .byte($0) }, timeOut: timeOut)
}

private func decode(units: [KeyDecoder.Unit], timeOut: Bool = true) -> [Key] {
    var d = KeyDecoder()
    var keys: [Key] = []
    for u in units { keys += d.feed(u) }
    if timeOut, let k = d.timeOut() { keys.append(k) }
    #expect(!d.isPending, "the decoder is back at rest")
    return keys
}

private let esc = "\u{1B}"

@Suite struct KeyDecoderTests {
    /// The sequences of the terminals people run steertop in, as their terminfo entries and
    /// tmux's own key table give them.
    @Test(arguments: [
        // xterm / xterm-256color (normal and application cursor mode)
        ("[A", Key.up), ("[B", .down), ("[C", .right), ("[D", .left), ("[H", .home), ("[F", .end),
        ("OA", .up), ("OB", .down), ("OC", .right), ("OD", .left), ("OH", .home), ("OF", .end),
        ("[5~", .pageUp), ("[6~", .pageDown),
        // tmux, screen, linux console, vt220: Home and End as ESC [ 1 ~ and ESC [ 4 ~
        ("[1~", .home), ("[4~", .end),
        // rxvt: ESC [ 7 ~ and ESC [ 8 ~
        ("[7~", .home), ("[8~", .end),
        // with modifiers (Ctrl+Right, Shift+End)
        ("[1;5C", .right), ("[1;2F", .end), ("[4;2~", .end),
        // keypad Enter in application keypad mode
        ("OM", .enter),
    ])
    func knownSequences(_ sequence: String, _ key: Key) {
        #expect(decode(esc + sequence) == [key], "ESC \(sequence)")
    }

    /// End used to switch the node to rfs: ESC [ 4 ~ must be End and nothing else.
    @Test func endAndHomeNeverLeakDigits() {
        #expect(decode("\u{1B}[4~") == [.end])
        #expect(decode("\u{1B}[1~") == [.home])
        #expect(decode("\u{1B}[4~\u{1B}[1~3") == [.end, .home, .char("3")])
    }

    @Test(arguments: [
        "[2~", "[3~", "[15~", "[24~", "[Z", "OP", "OS", "[1;5P", "[?1;2c", "[12;40R", "[I", "[O",
        "[<0;12;5M", "[200;1~x", "(B", "7", "4", "]0;title\u{07}", "]52;c;MTIzNDU=\u{1B}\\",
        "P1$r0m\u{1B}\\", "_APC\u{1B}\\", "^PM\u{1B}\\", "X sos\u{1B}\\",
    ])
    func otherSequencesAreSwallowedWhole(_ sequence: String) {
        let keys = decode(esc + sequence)
        // "[200;1~x": 200 with a parameter after it is not the paste marker; x then types.
        let expectedTail: [Key] = sequence == "[200;1~x" ? [.char("x")] : []
        #expect(keys.count == 1 + expectedTail.count, "ESC \(sequence) -> \(keys)")
        if case .ignored = keys.first {} else { Issue.record("ESC \(sequence) -> \(keys)") }
        #expect(Array(keys.dropFirst()) == expectedTail)
    }

    @Test func namesArePrintable() {
        #expect(decode("\u{1B}[24~") == [.ignored(name: "ESC [ 2 4 ~")])
        #expect(decode("\u{1B}4") == [.ignored(name: "Alt+4")])
        #expect(decode("\u{07}") == [.ignored(name: "Ctrl+G")])
        #expect(decode("\u{1B}]0;\u{9B}x\u{07}") == [.ignored(name: "ESC ] 0 ; ? ? x")])
        #expect(KeyDecoder.printable("KEY_F(5)\u{1B}é") == "KEY_F(5)??")
    }

    @Test func escapeAloneAndTwice() {
        #expect(decode(esc) == [.escape])
        #expect(decode(esc + esc) == [.escape, .escape])
        #expect(decode(esc + esc + "[A") == [.escape, .up])
        // Without the time-out a lone ESC is pending: the rest of a sequence may come.
        var d = KeyDecoder()
        #expect(d.feed(.byte(0x1B)).isEmpty)
        #expect(d.isPending && d.patience > 0)
        #expect(d.feed(.byte(0x5B)).isEmpty)
        #expect(d.feed(.byte(0x34)).isEmpty)
        #expect(d.feed(.byte(0x7E)) == [.end])
    }

    /// A sequence cut off by the time-out is swallowed: what was typed after is typed.
    @Test func cutOffSequences() {
        var d = KeyDecoder()
        for b: UInt8 in [0x1B, 0x5B, 0x34] { #expect(d.feed(.byte(b)).isEmpty) }
        if case .ignored = d.timeOut() {} else { Issue.record("a cut-off CSI is swallowed") }
        #expect(d.feed(.byte(0x33)) == [.char("3")])
        // A new ESC inside a CSI ends the old one and starts again.
        #expect(decode("\u{1B}[4\u{1B}[B") == [.ignored(name: "ESC [ 4"), .down])
        // CAN aborts; a newline inside a sequence breaks it and is swallowed with it.
        #expect(decode("\u{1B}[4\u{18}2").last == .char("2"))
    }

    @Test func eightBitControls() {
        #expect(decode("\u{9B}4~") == [.end])
        #expect(decode("\u{8F}F") == [.end])
        #expect(decode("\u{9D}0;x\u{9C}5").last == .char("5"))
        #expect(decode("\u{9D}0;x\u{9C}5").count == 2)
    }

    @Test func mouseReportsSkipTheirBytes() {
        // X10: ESC [ M then button, column, row as raw bytes: "1", "2", "3" are not keys.
        #expect(decode("\u{1B}[M123") == [.ignored(name: "ESC [ M 1 2 3")])
        #expect(decode("\u{1B}[M123q") == [.ignored(name: "ESC [ M 1 2 3"), .char("q")])
    }

    @Test func bracketedPasteIsSwallowed() {
        #expect(decode("\u{1B}[200~12345 rfs\u{1B}[201~") == [.paste(count: 9)])
        #expect(decode("\u{1B}[200~a\u{1B}b\u{1B}[201~q") == [.paste(count: 3), .char("q")])
        #expect(decode("\u{1B}[200~\u{1B}\u{1B}[201~") == [.paste(count: 1)])
        // A paste whose end marker never comes ends with the time-out, swallowed.
        #expect(decode("\u{1B}[200~4444") == [.paste(count: 4)])
        // Keys curses decoded inside a paste are part of it; a resize is not.
        #expect(decode(units: [.byte(0x1B), .byte(0x5B), .byte(0x32), .byte(0x30), .byte(0x30),
                               .byte(0x7E), .key(.end), .key(.resize), .byte(0x33)]) == [.resize, .paste(count: 2)])
    }

    /// Bytes that are no UTF-8 cost one ignored key each, and never hide the next key
    /// (so a digit after them is not alone).
    @Test func invalidUTF8() {
        #expect(decode(units: [.byte(0xFF), .byte(0x33)]) == [.ignored(name: "invalid UTF-8"), .char("3")])
        #expect(decode(units: [.byte(0xE9), .byte(0x33)]) == [.ignored(name: "invalid UTF-8"), .char("3")])
        #expect(decode(units: [.byte(0xEB), .byte(0x1B), .byte(0x5B), .byte(0x34), .byte(0x7E)])
                == [.ignored(name: "invalid UTF-8"), .end])
        #expect(decode(units: [.byte(0xC0), .byte(0xAF)]) == [.ignored(name: "invalid UTF-8"), .ignored(name: "invalid UTF-8")])
        #expect(decode(units: [.byte(0xED), .byte(0xA0), .byte(0x80)]) == [.ignored(name: "invalid UTF-8")])
        #expect(decode(units: [.byte(0xE2), .byte(0x82)]) == [.ignored(name: "invalid UTF-8")])
        #expect(decode(units: [.byte(0xE2), .byte(0x82), .key(.end)]) == [.ignored(name: "invalid UTF-8")])
        #expect(decode(units: [.byte(0xE2), .byte(0x82), .byte(0xAC)]) == [.char("€")])
    }

    @Test func plainKeys() {
        #expect(decode("q3 ") == [.char("q"), .char("3"), .char(" ")])
        #expect(decode("\r\n\u{7F}\u{08}") == [.enter, .enter, .backspace, .backspace])
        #expect(decode("é") == [.char("é")])
        #expect(decode(units: [.key(.end), .key(.pageUp)]) == [.end, .pageUp])
        #expect(decode(units: [.byte(0x1B), .key(.up)]) == [.ignored(name: "Alt+up")])
    }

    /// Random bytes (a fuzz of what a line noise, a paste or a confused program sends):
    /// every digit a mode key could take comes out as a key only when it stood outside
    /// any escape sequence, and the decoder always comes back to rest.
    @Test func randomInputNeverLeaksSequenceBytes() {
        var rng = SplitMix(seed: 0x5EED)
        for _ in 0..<3000 {
            // Well-formed sequences with random parameters, glued together: no key at all
            // may be a character.
            var text = ""
            for _ in 0..<Int(rng.next() % 6 + 1) {
                let params = String((0..<Int(rng.next() % 6)).map { _ in Character(UnicodeScalar(UInt8(0x30 + rng.next() % 16))) })
                switch rng.next() % 5 {
                case 0:
                    // (ESC [ M with no parameters is an X10 mouse report: 3 raw bytes follow.)
                    let final = UInt8(0x40 + rng.next() % 63)
                    text += "\u{1B}[" + (params.isEmpty && final == 0x4D ? "1" : params) + String(UnicodeScalar(final))
                case 1: text += "\u{1B}O" + String(UnicodeScalar(UInt8(0x40 + rng.next() % 63)))
                case 2: text += "\u{1B}]" + params + "\u{07}"
                case 3: text += "\u{1B}P" + params + "\u{1B}\\"
                default: text += "\u{1B}" + String(UnicodeScalar(UInt8(0x30 + rng.next() % 79)))
                }
            }
            let keys = decode(text)
            for k in keys {
                if case .char(let c) = k {
                    Issue.record("\(c) leaked from \(Array(text.unicodeScalars.map(\.value)))")
                }
            }
        }
        // Any bytes at all: no crash, back at rest after the time-out.
        for _ in 0..<2000 {
            var d = KeyDecoder()
            for _ in 0..<Int(rng.next() % 64) { _ = d.feed(.byte(UInt8(rng.next() % 256))) }
            _ = d.timeOut()
            #expect(!d.isPending)
        }
    }
}

/// A small seeded generator, so a failure can be replayed.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
