#if canImport(Glibc)
import Glibc
#endif

/// A mode switch, the one sequence every caller runs: plan, check that there is something
/// to steer, save the snapshot before steertop's first change, write, read every file back
/// (`Steering.apply` verifies). `steertop apply`, the dashboard's mode keys and the sweep
/// call it; they differ only in what they print.
public struct ModeSwitch {
    public let target: SteeringTarget
    public let config: SteeringConfig
    /// Where the snapshot before the first change goes (`steertop restore` reads it); nil
    /// for a caller that keeps its own (the sweep saves one at its start).
    public let snapshots: StateDirectory?

    public init(target: SteeringTarget, config: SteeringConfig, snapshots: StateDirectory?) {
        self.target = target; self.config = config; self.snapshots = snapshots
    }

    /// Every file of the switch to `mode`, before → after.
    public func plan(_ mode: Mode) -> SteeringPlan { Steering.plan(mode, target: target, config: config) }

    /// Throws when the plan holds nothing but rps_sock_flow_entries: no node interface
    /// matches, and a "switch" would change nothing the user asked for.
    public func check(_ plan: SteeringPlan) throws(SteerError) {
        if plan.writes.count <= 1 {
            throw SteerError.invalid("nothing to steer on \(target.summary): no interface matches \(config.nodeIfaces) (see --iface)")
        }
    }

    /// Checks, saves the snapshot, writes and reads back. Throws before any write; after the
    /// first write, failures are in the result.
    public func apply(_ plan: SteeringPlan) throws(SteerError) -> SteeringResult {
        try check(plan)
        if let snapshots {
            try Snapshot.saveBefore(plan, state: snapshots, key: StateDirectory.key(nodeNetns: target.nodeNetns))
        }
        return Steering.apply(plan, target: target)
    }

    /// What an undo's result is labelled with (`SteeringResult.mode`, and a mode record's `to`).
    public static let undoLabel = "undo"

    /// Undoes the latest switch: writes back the snapshot saved before it (what `steertop
    /// restore last` does) and reads every file back.
    public func undo() -> SteeringResult {
        func failed(_ why: String) -> SteeringResult {
            SteeringResult(mode: Self.undoLabel, writes: [], errors: [why], seconds: 0)
        }
        guard let snapshots else { return failed("no snapshots are kept for this switch") }
        let path = snapshots.lastSnapshot(for: StateDirectory.key(nodeNetns: target.nodeNetns))
        guard LibC.access(path, F_OK) else { return failed("nothing to undo: steertop has not switched \(target.summary) yet") }
        do throws(SteerError) {
            var result = Steering.restore(try Snapshot.load(path), target: target)
            result.mode = Self.undoLabel
            return result
        } catch {
            return failed(error.description)
        }
    }

    /// The whole switch to `mode`, a failure before any write folded into the result (for
    /// callers that report results, not errors: the dashboard's worker, the sweep).
    public func run(_ mode: Mode) -> SteeringResult {
        do throws(SteerError) {
            return try apply(plan(mode))
        } catch {
            return SteeringResult(mode: mode.rawValue, writes: [], errors: [error.description], seconds: 0)
        }
    }
}
