/// Turns what the terminal sends into keys, so that no byte of an escape sequence ever
/// reaches a command.
///
/// curses decodes the sequences its terminfo entry lists (with `keypad`), but a terminal
/// often sends others: tmux sends End as `ESC [ 4 ~` while TERM=xterm-256color lists
/// `ESC O F`; curses then hands over ESC, `[`, `4`, `~` one by one, and the `4` would be a
/// mode key. This decoder sits after curses and parses every sequence by its ECMA-48
/// grammar (CSI, SS3, OSC/DCS/APC/PM/SOS strings, two-byte escapes, and their 8-bit C1
/// forms), maps the ones the dashboard uses (arrows, Home, End, PgUp, PgDn in their
/// xterm, rxvt, linux-console, tmux and screen forms), swallows any other whole, and
/// swallows bracketed pastes whole.
///
/// It is fed one unit at a time; when nothing more arrives within `patience` seconds of
/// the last unit, the caller calls `timeOut()` to finish what is pending (a lone ESC is the
/// Escape key; a cut-off sequence is swallowed).
public struct KeyDecoder: Sendable {
    /// What curses returned: a byte as the terminal sent it, or a key it decoded itself
    /// (KEY_*). Bytes, not characters: UTF-8 is assembled here, so that an invalid byte
    /// costs one ignored key (curses' own wide-character reader swallows up to 16 bytes
    /// after it, the keys typed next among them).
    public enum Unit: Equatable, Sendable {
        case byte(UInt8)
        case key(Key)
    }

    private enum State: Equatable {
        case ground
        /// Inside a UTF-8 character: `scalar` so far, `remaining` continuation bytes to come.
        case utf8(scalar: UInt32, remaining: Int)
        /// After ESC.
        case escape
        /// After ESC and intermediates (0x20–0x2F), e.g. `ESC ( B`: waits for the final byte.
        case escapeIntermediate
        /// After CSI: parameter and intermediate bytes, then a final byte.
        case csi
        /// After SS3 (`ESC O`): optional parameters, then a final byte.
        case ss3
        /// Inside an OSC, DCS, APC, PM or SOS string, until BEL or ST.
        case string
        /// ESC inside a string: `\` ends it (ST).
        case stringEscape
        /// Inside a bracketed paste, until `ESC [ 2 0 1 ~`.
        case paste
        /// Raw bytes to skip (the 3 bytes after an X10 mouse report `ESC [ M`).
        case skip(Int)
    }

    private var state = State.ground
    /// The sequence so far, as printable text for `.ignored(name:)` (bounded).
    private var seen: [UInt8] = []
    /// Parameter and intermediate bytes of the CSI or SS3 sequence (bounded).
    private var params: [UInt8] = []
    private var pasted = 0
    /// A second key completed by the same unit.
    private var queued: Key?
    /// How much of the paste-end marker has been matched.
    private var pasteEndMatched = 0

    /// The longest sequence kept for its name; longer ones are still swallowed whole.
    static let maxKept = 32
    static let pasteEnd: [UInt32] = [0x1B, 0x5B, 0x32, 0x30, 0x31, 0x7E]  // ESC [ 2 0 1 ~

    public init() {}

    /// Whether a sequence (or a lone ESC) is waiting for more units.
    public var isPending: Bool { state != .ground }

    /// How long to wait for the next unit of what is pending before `timeOut()`: a
    /// sequence's bytes arrive together (within a few ms even over SSH); a paste may be long.
    public var patience: Double {
        switch state {
        case .ground: return 0
        case .paste: return 1.0
        default: return 0.1
        }
    }

    /// Feeds one unit; returns the keys it completes (none, mostly one; two when an invalid
    /// byte is followed by one that starts afresh).
    public mutating func feed(_ unit: Unit) -> [Key] {
        var keys: [Key] = []
        if let key = step(unit) { keys.append(key) }
        if let key = queued {
            keys.append(key)
            queued = nil
        }
        return keys
    }

    private mutating func step(_ unit: Unit) -> Key? {
        switch unit {
        case .key(.resize):
            // Not part of any sequence: passes through whatever is pending.
            return .resize
        case .key(let key):
            switch state {
            case .ground:
                return key == .none ? nil : key
            case .paste:
                pasted += 1
                return nil
            case .utf8:
                // A character cut off by a key: the bytes so far were not a character.
                reset()
                return .ignored(name: "invalid UTF-8")
            case .escape:
                // Alt + a key curses decoded.
                state = .ground
                return .ignored(name: "Alt+\(Self.describe(key))")
            default:
                // A decoded key cannot be part of a sequence: the sequence was cut off.
                return abort()
            }
        case .byte(let b):
            return feed(byte: b)
        }
    }

    /// Nothing more arrived in time: a lone ESC is the Escape key; anything else pending
    /// is swallowed (a cut-off paste counts what came).
    public mutating func timeOut() -> Key? {
        switch state {
        case .ground:
            return nil
        case .escape:
            reset()
            return .escape
        case .utf8:
            reset()
            return .ignored(name: "invalid UTF-8")
        case .paste:
            let n = pasted
            reset()
            return .paste(count: n)
        default:
            return abort()
        }
    }

    // MARK: the grammar

    private mutating func feed(byte: UInt8) -> Key? {
        let s = UInt32(byte)
        switch state {
        case .ground:
            switch byte {
            case 0..<0x80: return ground(s)
            case 0xC2...0xDF: state = .utf8(scalar: s & 0x1F, remaining: 1); return nil
            case 0xE0...0xEF: state = .utf8(scalar: s & 0x0F, remaining: 2); return nil
            case 0xF0...0xF4: state = .utf8(scalar: s & 0x07, remaining: 3); return nil
            default: return .ignored(name: "invalid UTF-8")
            }

        case .utf8(let scalar, let remaining):
            guard byte & 0xC0 == 0x80 else {
                // Not a continuation: what came before was no character; this byte starts afresh.
                reset()
                queued = feed(byte: byte)
                return .ignored(name: "invalid UTF-8")
            }
            let value = scalar << 6 | (s & 0x3F)
            if remaining > 1 {
                state = .utf8(scalar: value, remaining: remaining - 1)
                return nil
            }
            state = .ground
            // Overlong forms and surrogates are not characters.
            guard Unicode.Scalar(value) != nil, value >= 0x80 else { return .ignored(name: "invalid UTF-8") }
            return ground(value)

        case .escape:
            keep(s)
            switch s {
            case 0x5B: state = .csi; params = []; return nil       // [
            case 0x4F: state = .ss3; params = []; return nil       // O
            case 0x5D, 0x50, 0x58, 0x5E, 0x5F: state = .string; return nil   // ] P X ^ _
            case 0x1B:
                // ESC ESC: the first was the Escape key (or Alt+Escape); start again.
                reset()
                state = .escape
                keep(0x1B)
                return .escape
            case 0x20...0x2F: state = .escapeIntermediate; return nil
            case 0x18, 0x1A: return abort()                          // CAN, SUB
            default:
                // ESC + a character: Alt+key (or a two-byte escape such as ESC 7).
                return abort(prefix: "Alt+")
            }

        case .escapeIntermediate:
            keep(s)
            switch s {
            case 0x20...0x2F: return nil
            case 0x30...0x7E: return abort()
            default: return restartIfEscape(s)
            }

        case .csi:
            keep(s)
            switch s {
            case 0x20...0x3F:
                if params.count < Self.maxKept { params.append(UInt8(s)) }
                return nil
            case 0x40...0x7E:
                return csiFinal(UInt8(s))
            default:
                // Anything else (a control, a non-ASCII character) breaks the sequence.
                return restartIfEscape(s)
            }

        case .ss3:
            keep(s)
            switch s {
            case 0x30...0x3F:
                if params.count < Self.maxKept { params.append(UInt8(s)) }
                return nil
            case 0x40...0x7E:
                let key: Key?
                switch s {
                case 0x41: key = .up            // A
                case 0x42: key = .down          // B
                case 0x43: key = .right         // C
                case 0x44: key = .left          // D
                case 0x48: key = .home          // H
                case 0x46: key = .end           // F
                case 0x4D: key = .enter         // M: keypad Enter
                default: key = nil
                }
                if let key { reset(); return key }
                return abort()
            default:
                return restartIfEscape(s)
            }

        case .string:
            switch s {
            case 0x07, 0x9C: return abort()                 // BEL ends an OSC; ST
            case 0x1B: state = .stringEscape; return nil
            case 0x18, 0x1A: return abort()
            default: keep(s); return nil
            }

        case .stringEscape:
            if s == 0x5C { return abort() }                 // ESC \ = ST
            // ESC + something else ends the string too (xterm) and starts a new escape.
            reset()
            state = .escape
            keep(0x1B)
            return feed(byte: byte)

        case .paste:
            if byte & 0xC0 != 0x80 { pasted += 1 }   // characters, not bytes
            if s == Self.pasteEnd[pasteEndMatched] {
                pasteEndMatched += 1
                if pasteEndMatched == Self.pasteEnd.count {
                    let n = max(0, pasted - Self.pasteEnd.count)
                    reset()
                    return .paste(count: n)
                }
            } else {
                pasteEndMatched = s == Self.pasteEnd[0] ? 1 : 0
            }
            return nil

        case .skip(let n):
            keep(s)
            if n <= 1 { return abort() }
            state = .skip(n - 1)
            return nil
        }
    }

    private mutating func ground(_ s: UInt32) -> Key? {
        switch s {
        case 0x1B:
            state = .escape
            keep(s)
            return nil
        case 0x9B:      // 8-bit CSI
            state = .csi
            params = []
            keep(0x1B); keep(0x5B)
            return nil
        case 0x8F:      // 8-bit SS3
            state = .ss3
            params = []
            keep(0x1B); keep(0x4F)
            return nil
        case 0x90, 0x98, 0x9D, 0x9E, 0x9F:   // DCS, SOS, OSC, PM, APC
            state = .string
            keep(s)
            return nil
        case 10, 13: return .enter
        case 8, 127: return .backspace
        case 0x20: return .char(" ")
        case 0...0x1F:
            return .ignored(name: "Ctrl+" + String(UnicodeScalar(UInt8(s + 0x40))))
        case 0x80...0x9F:
            return .ignored(name: "C1 control")
        default:
            guard let scalar = Unicode.Scalar(s) else { return .ignored(name: "invalid character") }
            return .char(Character(scalar))
        }
    }

    private mutating func csiFinal(_ final: UInt8) -> Key? {
        // X10 mouse report: ESC [ M and three raw bytes.
        if final == 0x4D && params.isEmpty {
            state = .skip(3)
            return nil
        }
        let fields = params.split(separator: 0x3B, omittingEmptySubsequences: false)
        let first = fields.first.flatMap { Int(String(decoding: $0, as: UTF8.self)) }
        // Only plain parameters (digits and ';') name a key: '<', '?', '>' and '=' start
        // private sequences (mouse, reports).
        let plain = params.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x3B }
        var key: Key?
        if plain {
            switch final {
            case 0x41: key = .up
            case 0x42: key = .down
            case 0x43: key = .right
            case 0x44: key = .left
            case 0x48: key = .home
            case 0x46: key = .end
            case 0x7E:
                switch first {
                case 1, 7: key = .home
                case 4, 8: key = .end
                case 5: key = .pageUp
                case 6: key = .pageDown
                case 200 where fields.count == 1:
                    reset()
                    state = .paste
                    return nil
                default: key = nil
                }
            default: key = nil
            }
        }
        if let key { reset(); return key }
        return abort()
    }

    // MARK: helpers

    private mutating func keep(_ s: UInt32) {
        if seen.count < Self.maxKept { seen.append(s < 0x80 ? UInt8(s) : 0x3F) }
    }

    /// A byte that breaks a sequence: an ESC starts a new one (the old is swallowed);
    /// anything else is swallowed with it.
    private mutating func restartIfEscape(_ s: UInt32) -> Key? {
        if s == 0x1B || s == 0x9B || s == 0x8F {
            let swallowed = Self.name(of: seen.dropLast())
            reset()
            _ = ground(s)
            return .ignored(name: swallowed)
        }
        return abort()
    }

    /// Swallows what is pending: the sequence becomes `.ignored` with its printable name.
    private mutating func abort(prefix: String = "") -> Key {
        let name: String
        if prefix.isEmpty {
            name = Self.name(of: seen[...])
        } else {
            name = prefix + Self.name(of: seen.dropFirst())
        }
        reset()
        return .ignored(name: name)
    }

    private mutating func reset() {
        state = .ground
        seen.removeAll(keepingCapacity: true)
        params.removeAll(keepingCapacity: true)
        pasted = 0
        pasteEndMatched = 0
    }

    /// `ESC [ 2 4 ~`: each byte printable, ESC and controls by name.
    static func name(of bytes: ArraySlice<UInt8>) -> String {
        var parts: [String] = []
        for b in bytes.prefix(maxKept) {
            switch b {
            case 0x1B: parts.append("ESC")
            case 0x21...0x7E: parts.append(String(UnicodeScalar(b)))
            case 0x20: parts.append("SP")
            default: parts.append(String(format2: b))
            }
        }
        return parts.isEmpty ? "ESC" : parts.joined(separator: " ")
    }

    /// `text` as printable ASCII, at most `maxKept` characters (for names from curses).
    public static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.prefix(maxKept).map {
            $0.value >= 0x20 && $0.value < 0x7F ? $0 : "?"
        }))
    }

    static func describe(_ key: Key) -> String {
        switch key {
        case .char(let c): return String(c)
        case .ignored(let name): return name
        default: return "\(key)"
        }
    }
}

private extension String {
    /// `0x07` for a byte that has no printable form.
    init(format2 b: UInt8) {
        let hex = Array("0123456789abcdef")
        self = "0x" + String(hex[Int(b >> 4)]) + String(hex[Int(b & 15)])
    }
}
