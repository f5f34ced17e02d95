import SteerKit

#if canImport(Glibc)
import Glibc
#endif

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
