#if canImport(Glibc)
import Glibc
#endif

/// Signals turned into bytes on a pipe (the self-pipe trick), so that an event loop can
/// poll for them beside its other descriptors and a blocking wait returns at once.
public final class SignalPipe {
    /// Poll this for reading.
    public let fd: Int32
    private let writeEnd: Int32
    /// The last signal seen (sticky once set).
    public private(set) var last: Int32?

    public init(_ signals: [Int32]) throws(SteerError) {
        switch LibC.pipe(nonBlocking: true) {
        case .success(let (r, w)):
            fd = r
            writeEnd = w
        case .failure(let e):
            throw SteerError.spawn(command: "pipe", errno: e)
        }
        LibC.forwardSignals(signals, to: writeEnd)
    }

    /// The signal received since the last call (reading the pipe), or the last one seen.
    public var received: Int32? {
        var byte: UInt8 = 0
        while case .success(1) = withUnsafeMutableBytes(of: &byte, { LibC.read(fd, $0) }) {
            last = Int32(byte)
        }
        return last
    }

    /// How many signals arrived since the last call (each one counted once).
    public func drain() -> Int {
        var count = 0
        var byte: UInt8 = 0
        while case .success(1) = withUnsafeMutableBytes(of: &byte, { LibC.read(fd, $0) }) {
            last = Int32(byte)
            count += 1
        }
        return count
    }

    /// Waits up to `seconds` for a signal; returns it, or nil after the timeout. One
    /// poll(2) when nothing happens (the recorder calls this every tick).
    public func wait(_ seconds: Double) -> Int32? {
        if let last { return last }
        guard !LibC.pollReadable([fd], timeout: seconds).isEmpty else { return nil }
        return received
    }
}
