#if canImport(Glibc)
import Glibc
#endif
import SteerKit

// steerbench: in-process benchmarks and data generators for the scripts in benchmarks/.
// A small dispatcher on the first argument; each entry lives in a file of its own, so
// that adding one is a one-line change here.
let arguments = Array(CommandLine.arguments.dropFirst())
let entries: [(name: String, usage: String, run: ([String]) -> Int32)] = [
    ("stats-gen", StatsGen.usage, StatsGen.main),
]

if let first = arguments.first, let entry = entries.first(where: { $0.name == first }) {
    exit(entry.run(Array(arguments.dropFirst())))
}
var usage = "usage: steerbench <command> [arguments]\n"
for e in entries { usage += "  \(e.name) \(e.usage)\n" }
_ = LibC.writeAll(2, Array(usage.utf8))
exit(arguments.isEmpty ? 0 : 2)
