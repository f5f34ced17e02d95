#if canImport(Glibc)
import Glibc
#endif

// In-process benchmarks: `steerbench <entry> [options]`, run by the scripts in
// benchmarks/ (which build release first). Each entry is one `case` calling into a file
// of its own, so entries added on different branches merge as separate cases.

let arguments = Array(CommandLine.arguments.dropFirst())

switch arguments.first {
case "render":
    RenderBench.run(Array(arguments.dropFirst()))
default:
    print("usage: steerbench <entry> [options]   (the entries are run by benchmarks/*.sh)")
    exit(arguments.isEmpty ? 0 : 2)
}
