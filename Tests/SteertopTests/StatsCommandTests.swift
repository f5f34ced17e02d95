import ArgumentParser
import Testing
@testable import steertop

@Suite("steertop stats: arguments")
struct StatsCommandTests {
    @Test func defaults() throws {
        let c = try Steertop.Stats.parse(["sweep.jsonl"])
        #expect(c.files == ["sweep.jsonl"])
        #expect(c.format == .table)
        #expect(c.warmup == 5)
        #expect(c.ascii == false)
    }

    @Test func everyOption() throws {
        let c = try Steertop.Stats.parse(["a.jsonl", "b.jsonl", "--format", "json", "--warmup", "2.5", "--ascii"])
        #expect(c.files == ["a.jsonl", "b.jsonl"])
        #expect(c.format == .json)
        #expect(c.warmup == 2.5)
        #expect(c.ascii)
        for name in ["table", "csv", "json", "markdown"] {
            #expect(try Steertop.Stats.parse(["x", "--format", name]).format.rawValue == name)
        }
    }

    @Test func reachedFromTheTopCommand() throws {
        let c = try Steertop.parseAsRoot(["stats", "--format", "csv", "r.jsonl"])
        let stats = try #require(c as? Steertop.Stats)
        #expect(stats.format == .csv && stats.files == ["r.jsonl"])
    }

    @Test("bad arguments are refused with a message, not a crash",
          arguments: [[], ["x", "--format", "xml"], ["x", "--warmup=-1"], ["x", "--warmup", "soon"], ["x", "--warmup=nan"]])
    func refused(_ arguments: [String]) {
        #expect(throws: (any Error).self) { try Steertop.Stats.parse(arguments) }
        do {
            _ = try Steertop.Stats.parse(arguments)
        } catch {
            let message = Steertop.Stats.message(for: error)
            #expect(!message.isEmpty)
            #expect(Steertop.Stats.exitCode(for: error) != .success)
        }
    }
}
