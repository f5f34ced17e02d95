import ArgumentParser
import SteerKit

extension Steertop {
    struct Live: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The live dashboard (the default command).")
        @OptionGroup var target: TargetOptions
        func run() throws {
            throw SteerError.invalid("the dashboard is not built yet; use `steertop record`")
        }
    }
}
