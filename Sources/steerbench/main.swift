// In-process benchmarks and measuring tools behind the scripts in benchmarks/:
// `steerbench <name> args…`. To add one, write a function `([String]) -> Int32` in a file
// of its own and add a line to `benchmarks` below.
#if canImport(Glibc)
import Glibc
#endif
import SteerKit

/// One benchmark: its name on the command line, its arguments, and what it does.
struct Benchmark {
    let name: String
    let usage: String
    let run: ([String]) -> Int32
}

let benchmarks: [Benchmark] = [
    Benchmark(name: "iperf-parse", usage: "FILE    parse an iperf3 log through IperfParser in 64 KB chunks",
              run: iperfParse),
    Benchmark(name: "cpu-race", usage: "[--warmup S] -- CMD… -- CMD…    CPU time of two commands run side by side",
              run: cpuRace),
    Benchmark(name: "render", usage: "[--frames N] [--size WxH]    dashboard frames into the cell buffer: time per frame",
              run: { RenderBench.run($0); return 0 }),
    Benchmark(name: "sample-loop", usage: "[N] [NETNS-GLOB]    N recorder ticks back to back: µs per tick",
              run: sampleLoop),
    Benchmark(name: "stats-gen", usage: StatsGen.usage, run: StatsGen.main),
    Benchmark(name: "replay-seek", usage: ReplaySeek.usage, run: ReplaySeek.main),
    Benchmark(name: "compress", usage: "[SAMPLES] [PODS]    a recording of a PODS-pod node plain, zstd and gzip: bytes and CPU per sample",
              run: compressBench),
    Benchmark(name: "switch", usage: "[ROUNDS]    mode switches round-robin on the lab, applied and verified",
              run: switchModes),
    Benchmark(name: "switch-pods", usage: "[ROUNDS]    mode switches on containerd's cni-* pods and their veths beside the lab's",
              run: switchPods),
]

func printError(_ message: String) {
    var line = message + "\n"
    line.withUTF8 { _ = LibC.writeAll(2, UnsafeRawBufferPointer($0)) }
}

@MainActor
func usage() -> String {
    "usage: steerbench <name> args…\n" + benchmarks.map { "  \($0.name) \($0.usage)" }.joined(separator: "\n")
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard let name = arguments.first, let benchmark = benchmarks.first(where: { $0.name == name }) else {
    printError(usage())
    exit(2)
}
exit(benchmark.run(Array(arguments.dropFirst())))
