import SteerKit

/// Receive pressure seen lately: a CPU whose backlog dropped packets, or whose NET_RX
/// ran out of budget or time (a squeeze). One tick of it is easy to miss, so the CPU
/// panel's title keeps naming the CPU for `window` seconds, with how long ago.
public struct Pressure: Equatable, Sendable {
    public enum Kind: Equatable, Sendable { case drops, squeeze }
    public var cpu: Int
    public var kind: Kind
    /// Seconds before the sample shown (0: in it).
    public var secondsAgo: Double

    public init(cpu: Int, kind: Kind, secondsAgo: Double) {
        self.cpu = cpu; self.kind = kind; self.secondsAgo = secondsAgo
    }

    /// How long a CPU stays named after its last drop or squeeze.
    public static let window = 60.0

    /// The latest drop and squeeze of each CPU within `window` seconds up to the last of
    /// `samples` (oldest first), most recent first.
    public static func recent<C: BidirectionalCollection>(in samples: C, window: Double = Pressure.window) -> [Pressure]
    where C.Element == Sample {
        guard let now = samples.last?.t else { return [] }
        var out: [Pressure] = []
        var seen = Set<Int>()  // cpu * 2 + kind
        for s in samples.reversed() {
            let ago = now - s.t
            if ago > window { break }
            for r in s.softnet {
                if r.dropped > 0, seen.insert(r.cpu * 2).inserted {
                    out.append(Pressure(cpu: r.cpu, kind: .drops, secondsAgo: ago))
                }
                if r.timeSqueeze > 0, seen.insert(r.cpu * 2 + 1).inserted {
                    out.append(Pressure(cpu: r.cpu, kind: .squeeze, secondsAgo: ago))
                }
            }
        }
        return out
    }
}
