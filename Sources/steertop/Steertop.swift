import ArgumentParser
import SteerKit

#if canImport(Glibc)
import Glibc
#endif

@main
struct Steertop: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "steertop",
        abstract: "Watch and steer receive-side packet processing (RPS/RFS) on a Linux node and its pods.",
        discussion: """
        With no subcommand steertop shows the live dashboard: on the local overlay lab when it is up \
        (steertop lab up), else on this host.
        """,
        version: version,
        subcommands: [Live.self, Replay.self, Sample.self, Record.self, Apply.self, Status.self, Restore.self, Lab.self, Stats.self, Sweep.self, Trace.self],
        defaultSubcommand: Live.self
    )

    /// Runs the command; SteerKit's errors become one line on stderr and exit status 1,
    /// never a stack trace.
    static func main() {
        // A closed pipe (steertop … | head) must end the write, not the process.
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as SteerError {
            printError(error.description)
            exitProcess(1)
        } catch is AlreadyReportedFailure {
            exitProcess(1)
        } catch {
            // --help and --version are "errors" with a success code: print them whole.
            let code = exitCode(for: error)
            if code == .success {
                output(fullMessage(for: error) + "\n")
                exitProcess(0)
            }
            // Anything else: one line, and where to look.
            var line = message(for: error)
            if line.hasPrefix("Error: ") { line.removeFirst(7) }
            if error is ValidationError || code == .validationFailure {
                line += " (see steertop --help)"
            }
            printError(line)
            exitProcess(code.rawValue)
        }
    }
}

/// Prints "steertop: message" on stderr, as one line: control characters from files or
/// processes quoted in it are escaped (TerminalText), its length bounded.
func printError(_ message: String) {
    var text = "steertop: " + TerminalText.escape(message, limit: 4096) + "\n"
    text.withUTF8 { p in _ = LibC.writeAll(2, UnsafeRawBufferPointer(p)) }
}

/// Prints a line on stderr (progress and notes that must not mix with stdout data), its
/// control characters escaped (TerminalText).
func note(_ message: String) {
    var text = TerminalText.escape(message, limit: 4096, keepLineBreaks: true) + "\n"
    text.withUTF8 { p in _ = LibC.writeAll(2, UnsafeRawBufferPointer(p)) }
}

/// Prints on stdout without Swift's buffering getting in the way of a closed pipe. Every
/// control character but newline and tab is escaped (TerminalText): whatever a file or a
/// process put in the text, it cannot drive the terminal.
func output(_ text: String) {
    var t = TerminalText.escape(text, limit: nil, keepLineBreaks: true)
    t.withUTF8 { p in _ = LibC.writeAll(1, UnsafeRawBufferPointer(p)) }
}

/// exit(3) without the argument parser's own exit in the way.
func exitProcess(_ code: Int32) -> Never { Glibc.exit(code) }
