// In-process benchmarks, driven by the scripts in benchmarks/: `steerbench <name> args…`.
// To add one, write a function `([String]) -> Int32` (in its own file if it is long) and
// add a line to `benchmarks` below.
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
]

// MARK: iperf-parse

/// Feeds FILE to one IperfParser in 64 KB reads, as steertop reads iperf3's pipe, and
/// prints lines, events and MB/s (reading included).
func iperfParse(_ args: [String]) -> Int32 {
    guard args.count == 1 else {
        printError("usage: steerbench iperf-parse FILE")
        return 2
    }
    let fd: Int32
    switch LibC.open(args[0], O_RDONLY) {
    case .success(let f): fd = f
    case .failure(let e):
        printError("steerbench: \(SteerError.open(path: args[0], errno: e))")
        return 1
    }
    defer { LibC.close(fd) }
    let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    defer { chunk.deallocate() }
    var parser = IperfParser()
    var events: [IperfEvent] = []
    events.reserveCapacity(4096)
    var eventCount = 0, intervals = 0, bytes = 0
    let started = LibC.monotonic()
    var reading = true
    while reading {
        switch LibC.read(fd, chunk) {
        case .success(0):
            parser.finish(into: &events)
            reading = false
        case .success(let n):
            bytes += n
            parser.feed(UnsafeRawBufferPointer(rebasing: chunk[0..<n]), into: &events)
        case .failure(let e):
            printError("steerbench: \(SteerError.read(path: args[0], errno: e))")
            return 1
        }
        eventCount += events.count
        for e in events { if case .interval = e { intervals += 1 } }
        events.removeAll(keepingCapacity: true)
    }
    let seconds = LibC.monotonic() - started
    let mb = Double(bytes) / 1_048_576
    print("lines \(parser.lines) events \(eventCount) intervals \(intervals) MB \(fmt(mb)) seconds \(fmt(seconds, 4)) MB/s \(fmt(mb / seconds))")
    return 0
}

// MARK: dispatch

func fmt(_ v: Double, _ digits: Int = 1) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let r = (v * scale).rounded() / scale
    return "\(r)"
}

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
