// steerbench: in-process benchmarks and measuring tools behind the scripts in benchmarks/.
// `steerbench NAME args…`; each entry lives in a file of its own.

#if canImport(Glibc)
import Glibc
#endif

let entries: [String: (ArraySlice<String>) -> Int32] = [
    "cpu-race": cpuRace,
    "switch": switchModes,
]

let args = CommandLine.arguments.dropFirst()
guard let name = args.first, let entry = entries[name] else {
    print("usage: steerbench \(entries.keys.sorted().joined(separator: "|")) args…")
    exit(2)
}
exit(entry(args.dropFirst()))
