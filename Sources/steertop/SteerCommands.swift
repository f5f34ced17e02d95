import ArgumentParser
import SteerKit

/// A mode on the command line (`apply MODE`), parsed by ArgumentParser as this type. A
/// name that is no mode is kept, so that `validate()` says so in steertop's one line
/// (ArgumentParser's own message would not list the modes as the user types them).
struct ModeArgument: ExpressibleByArgument, Sendable {
    let text: String
    let mode: Mode?

    init(argument: String) { text = argument; mode = Mode(name: argument) }
}

/// A comma-separated list of modes (`sweep --modes`), parsed as a type; the first name that
/// is no mode is kept for `validate()`.
struct ModeListArgument: ExpressibleByArgument, CustomStringConvertible, Sendable {
    let text: String
    let modes: [Mode]
    /// The first name that is no mode.
    let invalid: String?

    init(argument: String) {
        text = argument
        let names = argument.split(separator: ",").map(String.init)
        modes = names.compactMap { Mode(name: $0) }
        invalid = names.first { Mode(name: $0) == nil }
    }

    init(_ modes: [Mode]) { self.init(argument: modes.map(\.rawValue).joined(separator: ",")) }

    /// As typed: the help shows the default this way.
    var description: String { text }
}

extension Steertop {
    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Switch the node and its pods to a steering mode, verified.",
            discussion: """
            Modes: baseline (no RPS/RFS), rps (rps_cpus on the node's interfaces), rps+ (and inside the pods), \
            rfs (rps_sock_flow_entries and rps_flow_cnt on the node's interfaces), rfs+ (and rps_flow_cnt inside the \
            pods). Prints the plan (namespace, file, before → after), writes, reads every file back and reports \
            mismatches. Before its first change on a target steertop saves a snapshot: `steertop restore` puts it back.
            """)

        @Argument(help: ArgumentHelp("baseline, rps, rps+, rfs or rfs+."))
        var mode: ModeArgument

        @Flag(help: "Print the plan; change nothing.")
        var dryRun = false

        @Flag(help: "Print only the summary line.")
        var quiet = false

        @OptionGroup var target: TargetOptions
        @OptionGroup var modeOptions: ModeOptions

        func validate() throws {
            guard mode.mode != nil else {
                throw ValidationError("unknown mode \"\(mode.text)\"; choose one of \(Mode.names)")
            }
        }

        func run() throws {
            let mode = mode.mode!
            if !dryRun && !LibC.isRoot { throw SteerError.notRoot(action: "steertop apply") }
            let resolved = try target.resolve()
            let steeringTarget = try resolved.steeringTarget()
            let config = try modeOptions.apply(to: resolved.steering, online: steeringTarget.onlineCPUs)
            let modeSwitch = ModeSwitch(target: steeringTarget, config: config, snapshots: StateDirectory.resolve())
            let plan = modeSwitch.plan(mode)
            if !quiet || dryRun { output(PlanText.plan(plan, target: steeringTarget)) }
            guard !dryRun else { return }
            let result = try modeSwitch.apply(plan)
            output(PlanText.result(result, plan: plan))
            if !result.ok { throw AlreadyReportedFailure() }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show every steering file of the node and its pods and the mode they match.")

        @Flag(help: "Print JSON.")
        var json = false

        @OptionGroup var target: TargetOptions

        func run() throws {
            let resolved = try target.resolve(quiet: json)
            let t = try resolved.steeringTarget()
            let (values, problems) = Steering.state(target: t, config: resolved.steering)
            let detected = Steering.detect(values, config: resolved.steering)
            if json {
                output(PlanText.statusJSON(values, detected: detected, target: t, problems: problems))
            } else {
                output(PlanText.status(values, detected: detected, target: t, problems: problems))
            }
        }
    }

    struct Restore: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put the steering files back as they were before steertop changed them.",
            discussion: "SNAPSHOT is `original` (default: before steertop's first change), `last` (before the latest change) or a snapshot file.")

        @Argument(help: "original, last, or a path.")
        var snapshot: String = "original"

        @OptionGroup var target: TargetOptions

        func run() throws {
            guard LibC.isRoot else { throw SteerError.notRoot(action: "steertop restore") }
            let resolved = try target.resolve()
            let t = try resolved.steeringTarget()
            let state = StateDirectory.resolve()
            let key = StateDirectory.key(nodeNetns: t.nodeNetns)
            let path: String
            switch snapshot {
            case "original": path = state.originalSnapshot(for: key)
            case "last": path = state.lastSnapshot(for: key)
            default: path = snapshot
            }
            let snap = try Snapshot.load(path)
            // The whole snapshot is checked before the first write: one bad entry, no write.
            let problems = SnapshotCheck.problems(snap, possibleCPUs: t.possibleCPUs)
            if !problems.isEmpty {
                throw SteerError.invalid("\(path) cannot be restored, nothing was written: \(problems.joined(separator: "; "))")
            }
            let result = Steering.restore(snap, target: t)
            output(PlanText.restored(result, from: path))
            if !result.ok { throw AlreadyReportedFailure() }
        }
    }
}

/// A failure whose details are already on the screen: exit 1, nothing more.
struct AlreadyReportedFailure: Error, CustomStringConvertible {
    var description: String { "" }
}

/// Text for plans, results and status.
enum PlanText {
    static func value(_ v: String?, _ knob: SteeringKnob) -> String {
        guard let v else { return "?" }
        if knob == .rpsCPUs, let set = CPUSet(mask: v) { return set.isEmpty ? "0" : "\(v) (\(set.list))" }
        return v
    }

    static func netnsLabel(_ ns: String, _ names: [String: String]) -> String {
        let n = ns.isEmpty ? "(host)" : ns
        if let pod = names[ns] { return "\(n) [\(pod)]" }
        return n
    }

    /// The namespace of a file with its pod: the pod's own, or for a node interface that is
    /// a pod's veth, that pod's.
    static func netnsLabel(_ f: SteeringFile, _ target: SteeringTarget) -> String {
        if !f.isPod, let iface = f.iface, let pod = target.vethPods[iface] {
            return "\(f.netns.isEmpty ? "(host)" : f.netns) [veth of \(pod)]"
        }
        return netnsLabel(f.netns, target.podNames)
    }

    static func plan(_ plan: SteeringPlan, target: SteeringTarget) -> String {
        var rows: [[String]] = [["NETNS", "FILE", "BEFORE", "", "AFTER", ""]]
        for w in plan.writes {
            let after = value(w.after, w.file.knob) + (w.expected != w.after && w.file.knob != .rpsCPUs ? " (kernel: \(w.expected))" : "")
            rows.append([netnsLabel(w.file, target), w.file.path, value(w.before, w.file.knob), "→", after,
                         w.changes ? "" : "unchanged"])
        }
        var text = "plan: \(plan.mode) on \(target.summary) (\(plan.changes.count) of \(plan.writes.count) files change)\n"
        text += table(rows)
        for n in plan.notes { text += "note: \(n)\n" }
        for w in plan.warnings { text += "warning: \(w)\n" }
        for p in plan.problems { text += "problem: \(p)\n" }
        return text
    }

    static func result(_ r: SteeringResult, plan: SteeringPlan) -> String {
        let ms = (r.seconds * 1000 * 10).rounded() / 10
        let verified = r.writes.filter(\.verified).count
        if r.ok {
            let warned = r.warnings.isEmpty ? "" : " (\(r.warnings.joined(separator: "; ")))"
            return "applied \(r.mode): \(r.written.count) files written, \(verified) of \(r.writes.count) read back as planned, in \(ms) ms\(warned)\n"
        }
        var text = "FAILED to apply \(r.mode) (\(r.errors.count) problem\(r.errors.count == 1 ? "" : "s")):\n"
        for e in r.errors { text += "  \(e)\n" }
        let took = r.written
        text += took.isEmpty ? "no write took effect.\n" : "these \(took.count) writes took effect:\n"
        for w in took { text += "  \(w.file): \(w.before ?? "?") → \(w.after)\n" }
        let failed = r.writes.filter(\.outcome.isFailure)
        if !failed.isEmpty {
            text += "these \(failed.count) writes did not:\n"
            for w in failed { text += "  \(w.file): still \(w.before ?? "?")\n" }
        }
        text += "the files are as listed; `steertop restore` puts back the snapshot taken before steertop's first change.\n"
        return text
    }

    /// What a restore did: always which writes took effect and which did not.
    static func restored(_ r: SteeringResult, from path: String) -> String {
        var text = r.ok ? "restored \(r.written.count) files from \(path) (\(r.writes.count - r.written.count) already as saved)\n"
                        : "FAILED to restore everything from \(path) (\(r.errors.count) problem\(r.errors.count == 1 ? "" : "s")):\n"
        for e in r.errors { text += "  \(e)\n" }
        let took = r.written
        if !took.isEmpty {
            text += "these \(took.count) writes took effect:\n"
            for w in took { text += "  \(w.file): \(w.before ?? "?") → \(w.after)\(w.verified ? "" : " (read back \(w.readBack ?? "?"))")\n" }
        } else if !r.ok {
            text += "no write took effect.\n"
        }
        let failed = r.writes.filter(\.outcome.isFailure)
        if !failed.isEmpty {
            text += "these \(failed.count) writes did not:\n"
            for w in failed { text += "  \(w.file): still \(w.before ?? "?")\n" }
        }
        return text
    }

    static func status(_ values: [(SteeringFile, String?)], detected: DetectedMode, target: SteeringTarget, problems: [String]) -> String {
        var rows: [[String]] = [["NETNS", "FILE", "VALUE"]]
        for (f, v) in values { rows.append([netnsLabel(f, target), f.path, value(v, f.knob)]) }
        var text = "mode: \(detected.name) (\(detected.detail)) on \(target.summary)\n" + table(rows)
        for p in problems { text += "problem: \(p)\n" }
        return text
    }

    static func statusJSON(_ values: [(SteeringFile, String?)], detected: DetectedMode, target: SteeringTarget, problems: [String]) -> String {
        var out = JSONBuffer()
        out.beginObject()
        out.key("mode"); out.string(detected.name)
        out.key("detail"); out.string(detected.detail)
        out.key("target"); out.string(target.summary)
        out.key("files")
        out.beginArray()
        for (f, v) in values {
            out.beginObject()
            out.key("netns"); out.string(f.netns)
            if let pod = target.podNames[f.netns] { out.key("pod"); out.string(pod) }
            if !f.isPod, let iface = f.iface, let pod = target.vethPods[iface] { out.key("vethOf"); out.string(pod) }
            out.key("path"); out.string(f.path)
            out.key("value"); out.stringOrNull(v)
            if f.knob == .rpsCPUs { out.key("cpus"); out.stringOrNull(v.flatMap { CPUSet(mask: $0)?.list }) }
            out.endObject()
        }
        out.endArray()
        out.key("problems")
        out.beginArray()
        for p in problems { out.string(p) }
        out.endArray()
        out.endObject()
        out.newline()
        return String(decoding: out.bytes, as: UTF8.self)
    }

    /// Left-aligned columns separated by two spaces.
    static func table(_ rows: [[String]]) -> String {
        guard let n = rows.map(\.count).max() else { return "" }
        var widths = [Int](repeating: 0, count: n)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        var text = ""
        for r in rows {
            var line = ""
            for (i, c) in r.enumerated() {
                line += c
                if i < r.count - 1 { line += String(repeating: " ", count: widths[i] - c.count + 2) }
            }
            while line.hasSuffix(" ") { line.removeLast() }
            text += "  " + line + "\n"
        }
        return text
    }
}
