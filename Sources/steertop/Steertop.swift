import ArgumentParser
import SteerKit

@main
struct Steertop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steertop",
        abstract: "Watch and steer receive-side packet processing (RPS/RFS) on a Linux node.",
        subcommands: [Sample.self, Stats.self]
    )
}
