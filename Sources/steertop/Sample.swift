import ArgumentParser
import SteerKit

extension Steertop {
    struct Sample: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print one sample line (JSON).")
        @Flag var once = false
        @Option var interval: Double = 1
        func run() throws {
            let sampler = try Sampler(targets: WatchTargets())
            _ = sampler.sample()
            LibC.sleep(interval)
            var s = sampler.sample()
            s.t = interval
            print(RecordCodec.line(.sample(s)), terminator: "")
        }
    }
}
