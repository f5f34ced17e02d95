/// One file of a plan: what it holds, what steertop writes, what the kernel will show.
public struct PlannedWrite: Equatable, Sendable {
    public var file: SteeringFile
    /// The value before (nil where it could not be read).
    public var before: String?
    /// The value steertop writes.
    public var after: String
    /// What reading the file back must give (the kernel rounds flow counts up to a power
    /// of two and prints masks over all CPUs).
    public var expected: String
    /// Why `expected` differs from `after`, where it does.
    public var note: String?

    /// Whether the file must be written (its value differs from the target).
    public var changes: Bool {
        guard let before else { return true }
        return !Steering.same(before, expected, file.knob)
    }
}

/// Every file of a mode switch, before → after.
public struct SteeringPlan: Equatable, Sendable {
    public var mode: Mode
    public var writes: [PlannedWrite]
    /// Things the user should know about the plan.
    public var notes: [String]
    /// Files that should be there and cannot be reached: the mode will not be complete.
    public var problems: [String]
    /// Names that match nothing (an interface the config names that this node lacks).
    public var warnings: [String] = []

    public var changes: [PlannedWrite] { writes.filter(\.changes) }
}

/// What happened to one file when a plan was applied.
public struct AppliedWrite: Equatable, Sendable {
    public enum Outcome: Equatable, Sendable {
        case written
        case unchanged
        case failed(String)

        public var isFailure: Bool { if case .failed = self { return true } else { return false } }
    }
    public var file: SteeringFile
    public var before: String?
    public var after: String
    public var outcome: Outcome
    /// The value read back after all writes (nil where unreadable).
    public var readBack: String?
    public var verified: Bool
}

/// The outcome of `apply` or `restore`.
public struct SteeringResult: Equatable, Sendable {
    public var mode: String
    public var writes: [AppliedWrite]
    public var errors: [String]
    /// Not failures: names the config gives that match nothing here.
    public var warnings: [String] = []
    public var seconds: Double

    public init(mode: String, writes: [AppliedWrite], errors: [String], seconds: Double) {
        self.mode = mode; self.writes = writes; self.errors = errors; self.seconds = seconds
    }

    public var ok: Bool { errors.isEmpty }
    /// The writes that took effect.
    public var written: [AppliedWrite] { writes.filter { $0.outcome == .written } }

    /// The `mode` record of the recording format.
    public func record(t: Double, from: ObservedMode) -> ModeChange {
        ModeChange(
            t: t, from: from, to: ObservedMode(name: mode), ok: ok,
            writes: written.map { FileWrite(netns: $0.file.netns, path: $0.file.path, before: $0.before ?? "", after: $0.after) },
            errors: errors)
    }
}

/// Plans, applies, verifies and recognises the steering modes.
public enum Steering {
    /// The value a file should hold in `mode`.
    static func desired(_ mode: Mode, _ file: SteeringFile, config: SteeringConfig, mask: String, queues: Int) -> String {
        let flows = String(max(1, config.flowEntries / max(queues, 1)))
        switch file.knob {
        case .sockFlowEntries:
            return mode.usesRFS ? String(config.flowEntries) : "0"
        case .rpsCPUs:
            let onNode = mode.usesRPSOnNode || (mode.usesRFS && config.rfsWithRPS)
            let inPods = mode == .rpsPlus || (mode == .rfsPlus && config.rfsWithRPS)
            return (file.isPod ? inPods : onNode) ? mask : "0"
        case .rpsFlowCount:
            let on = file.isPod ? mode == .rfsPlus : mode.usesRFS
            return on ? flows : "0"
        }
    }

    /// What the kernel shows after `value` is written.
    static func expected(_ value: String, _ knob: SteeringKnob, possibleCPUs: Int) -> String {
        switch knob {
        case .rpsCPUs: return (CPUSet(mask: value) ?? CPUSet()).mask(bits: possibleCPUs)
        case .rpsFlowCount, .sockFlowEntries: return String(kernelFlowCount(Int(value) ?? 0))
        }
    }

    /// Whether two values of a file mean the same (masks as CPU sets, counts as numbers).
    public static func same(_ a: String, _ b: String, _ knob: SteeringKnob) -> Bool {
        switch knob {
        case .rpsCPUs:
            guard let x = CPUSet(mask: a), let y = CPUSet(mask: b) else { return a == b }
            return x == y
        case .rpsFlowCount, .sockFlowEntries:
            return Int(a.trimmingCharacters()) == Int(b.trimmingCharacters())
        }
    }

    /// The plan for `mode` on `target`: every steering file, before → after.
    public static func plan(_ mode: Mode, target: SteeringTarget, config: SteeringConfig) -> SteeringPlan {
        let list = target.files(config: config)
        let files = list.files
        var notes: [String] = []
        let cpus = config.cpus ?? target.onlineCPUs
        let mask = cpus.mask(bits: target.possibleCPUs)
        var queueCounts: [String: Int] = [:]
        for f in files where f.knob == .rpsFlowCount { queueCounts["\(f.netns)/\(f.iface ?? "")", default: 0] += 1 }
        var writes: [PlannedWrite] = []
        for file in files.sorted() {
            let queues = queueCounts["\(file.netns)/\(file.iface ?? "")"] ?? 1
            let after = desired(mode, file, config: config, mask: mask, queues: queues)
            let exp = expected(after, file.knob, possibleCPUs: target.possibleCPUs)
            var note: String?
            if file.knob != .rpsCPUs, exp != after {
                note = "the kernel rounds \(after) up to \(exp)"
            }
            let before = try? target.read(file)
            writes.append(PlannedWrite(file: file, before: before, after: after, expected: exp, note: note))
        }
        if mode.usesRPSOnNode || (mode.usesRFS && config.rfsWithRPS) {
            notes.append("rps_cpus = \(mask) (CPUs \(cpus.list)) of \(target.onlineCPUs.count) online")
        }
        if mode.usesRFS {
            let rounded = kernelFlowCount(config.flowEntries)
            notes.append("rps_sock_flow_entries = \(config.flowEntries)" + (rounded != config.flowEntries ? " (the kernel rounds it up to \(rounded))" : "")
                + "; rps_flow_cnt = \(config.flowEntries) per single-queue device, \(config.flowEntries)/N per queue of a device with N rx queues")
            if !config.rfsWithRPS {
                notes.append("rps_cpus stays 0 as in the paper's scripts: flows go to the CPU of their socket's last recvmsg; --rfs-with-rps also spreads flows not yet seen")
            }
        }
        if mode == .rfsPlus {
            notes.append("inside the pods only rps_flow_cnt is set: rps_sock_flow_entries exists only in the initial network namespace and is global")
        }
        if mode.includesPods && target.podNetns.isEmpty {
            notes.append("no pod namespaces: \(mode) is the same as \(mode == .rpsPlus ? "rps" : "rfs") here")
        }
        return SteeringPlan(mode: mode, writes: writes, notes: notes, problems: list.errors, warnings: list.warnings)
    }

    /// Writes every changed file of `plan`, then reads every file back and compares it
    /// with what the kernel should show. Every write is attempted, so the result says
    /// exactly which took effect and which did not.
    public static func apply(_ plan: SteeringPlan, target: SteeringTarget) -> SteeringResult {
        var result = execute(plan.writes, problems: plan.problems, label: plan.mode.rawValue, target: target)
        result.warnings = plan.warnings + result.warnings
        return result
    }

    /// Puts back the values of a snapshot (files of namespaces that are gone are reported).
    public static func restore(_ snapshot: Snapshot, target: SteeringTarget) -> SteeringResult {
        let writes = snapshot.files.map { e in
            PlannedWrite(file: e.file, before: try? target.read(e.file), after: e.value, expected: e.value, note: nil)
        }
        return execute(writes, problems: [], label: "restore", target: target)
    }

    /// Writes the files that change (in one batch: kubectl writes a pod's in one exec), then
    /// reads every file back.
    static func execute(_ writes: [PlannedWrite], problems: [String], label: String, target: SteeringTarget) -> SteeringResult {
        let start = LibC.monotonic()
        var out = writes.map {
            AppliedWrite(file: $0.file, before: $0.before, after: $0.after, outcome: .unchanged, readBack: nil, verified: false)
        }
        var errors = problems
        let changed = writes.indices.filter { writes[$0].changes }
        let failed = target.write(changed.map { (writes[$0].file, writes[$0].after) })
        for (k, i) in changed.enumerated() {
            if let e = failed[k] {
                out[i].outcome = .failed(e.description)
                errors.append(e.description)
            } else {
                out[i].outcome = .written
            }
        }
        let notices = target.takeNotices()
        target.refresh()
        for i in out.indices {
            let w = writes[i]
            let failed = out[i].outcome.isFailure
            do {
                let back = try target.read(w.file)
                out[i].readBack = back
                out[i].verified = same(back, w.expected, w.file.knob)
                if !out[i].verified && !failed {
                    let why = w.file.knob == .rpsCPUs ? " (the kernel keeps only online, non-isolated CPUs)" : ""
                    errors.append("\(w.file) reads back \(back) instead of \(w.expected)\(why)")
                }
            } catch {
                if !failed { errors.append(error.description) }
            }
        }
        var result = SteeringResult(mode: label, writes: out, errors: errors, seconds: LibC.monotonic() - start)
        result.warnings = notices
        return result
    }

    /// The current value of every file the config covers.
    public static func state(target: SteeringTarget, config: SteeringConfig) -> (values: [(SteeringFile, String?)], problems: [String]) {
        let list = target.files(config: config)
        return (list.files.sorted().map { ($0, try? target.read($0)) }, list.errors + list.warnings)
    }
}

/// The mode that a set of file values matches.
public struct DetectedMode: Equatable, Sendable {
    public var observed: ObservedMode
    /// e.g. "rps_cpus 0-3" or "flows 32768, sock 32768".
    public var detail: String

    public init(_ observed: ObservedMode, detail: String) { self.observed = observed; self.detail = detail }

    /// The name as recordings and status write it.
    public var name: String { observed.name }
    public var mode: Mode? { observed.mode }
}

/// What recognising a mode looks at, typed: the node's and the pods' rps_cpus as CPU sets
/// and their rps_flow_cnt and rps_sock_flow_entries as numbers, whether they came from the
/// files' text (`status`) or from a sample (the dashboard, the recorder).
public struct SteeringSettings: Equatable, Sendable {
    public var sockFlowEntries: Int?
    public var nodeMasks: [CPUSet] = []
    public var podMasks: [CPUSet] = []
    public var nodeFlows: [Int] = []
    public var podFlows: [Int] = []

    public init(sockFlowEntries: Int? = nil) { self.sockFlowEntries = sockFlowEntries }
}

extension Steering {
    /// Recognises the mode from the files' values (as `state` reads them). Files of
    /// interfaces the config does not cover are ignored.
    public static func detect(_ values: [(SteeringFile, String?)], config: SteeringConfig) -> DetectedMode {
        var settings = SteeringSettings()
        for (file, value) in values {
            guard let value else { continue }
            switch file.knob {
            case .sockFlowEntries: settings.sockFlowEntries = Int(value)
            case .rpsCPUs:
                guard let set = CPUSet(mask: value) else { return DetectedMode(.custom, detail: "unreadable mask \(value)") }
                if file.isPod { settings.podMasks.append(set) }
                else if config.nodeIfaces.matches(file.iface ?? "") { settings.nodeMasks.append(set) }
            case .rpsFlowCount:
                let n = Int(value) ?? 0
                if file.isPod { settings.podFlows.append(n) }
                else if config.nodeIfaces.matches(file.iface ?? "") { settings.nodeFlows.append(n) }
            }
        }
        return detect(settings)
    }

    /// The mode a sample shows (its node is the sample's interfaces in `nodeNetns`): the
    /// sample's numbers are taken as they are, not printed and parsed again.
    public static func detect(_ sample: Sample, nodeNetns: String, config: SteeringConfig) -> DetectedMode {
        var settings = SteeringSettings(sockFlowEntries: sample.sockFlowEntries)
        for i in sample.ifaces {
            let isPod = i.netns != nodeNetns
            if !isPod && !config.nodeIfaces.matches(i.name) { continue }
            if isPod && !config.podIfaces.matches(i.name) { continue }
            for q in i.queues {
                if let mask = q.rpsCPUs {
                    guard let set = CPUSet(mask: mask) else { return DetectedMode(.custom, detail: "unreadable mask \(mask)") }
                    if isPod { settings.podMasks.append(set) } else { settings.nodeMasks.append(set) }
                }
                if let n = q.rpsFlowCount {
                    if isPod { settings.podFlows.append(n) } else { settings.nodeFlows.append(n) }
                }
            }
        }
        return detect(settings)
    }

    /// Recognises the mode: uniform settings over the node's interfaces and the pods' decide;
    /// anything else is custom. With no node queues it is unknown.
    public static func detect(_ settings: SteeringSettings) -> DetectedMode {
        let sock = settings.sockFlowEntries
        let nodeMasks = settings.nodeMasks, podMasks = settings.podMasks
        let nodeFlows = settings.nodeFlows, podFlows = settings.podFlows
        guard !nodeMasks.isEmpty else { return DetectedMode(.unknown, detail: "no node interface to read") }
        func uniform(_ sets: [CPUSet]) -> CPUSet?? {
            guard let first = sets.first else { return .some(nil) }
            return sets.allSatisfy { $0 == first } ? .some(first) : nil
        }
        guard let nodeMaskU = uniform(nodeMasks), let nodeMask = nodeMaskU else {
            return DetectedMode(.custom, detail: "rps_cpus differs between node queues")
        }
        guard let podMaskU = uniform(podMasks) else {
            return DetectedMode(.custom, detail: "rps_cpus differs between pod queues")
        }
        let podMask = podMaskU ?? CPUSet()
        let nodeFlowOn = nodeFlows.contains { $0 > 0 }, nodeFlowAll = !nodeFlows.isEmpty && nodeFlows.allSatisfy { $0 > 0 }
        let podFlowOn = podFlows.contains { $0 > 0 }, podFlowAll = !podFlows.isEmpty && podFlows.allSatisfy { $0 > 0 }
        let sockOn = sock.map { $0 > 0 } ?? nodeFlowOn
        let cpuText = nodeMask.isEmpty ? "" : "rps_cpus \(nodeMask.list)"

        if !sockOn && !nodeFlowOn && !podFlowOn {
            if nodeMask.isEmpty && podMask.isEmpty { return DetectedMode(.mode(.baseline), detail: "no RPS, no RFS") }
            if !nodeMask.isEmpty && podMask.isEmpty { return DetectedMode(.mode(.rps), detail: cpuText) }
            if !nodeMask.isEmpty && podMask == nodeMask { return DetectedMode(.mode(.rpsPlus), detail: cpuText + ", pods too") }
            return DetectedMode(.custom, detail: "rps_cpus differs between node and pods")
        }
        if sockOn && nodeFlowAll {
            let flowText = "flows \(nodeFlows.max() ?? 0), sock \(sock.map(String.init) ?? "?")"
            let detail = cpuText.isEmpty ? flowText : flowText + ", " + cpuText
            if !podFlowOn && (podMask.isEmpty || podMask == nodeMask) && (podMask.isEmpty || !nodeMask.isEmpty) {
                return DetectedMode(.mode(.rfs), detail: detail)
            }
            if podFlowAll && (podMask.isEmpty || podMask == nodeMask) {
                return DetectedMode(.mode(.rfsPlus), detail: detail + ", pods too")
            }
        }
        return DetectedMode(.custom, detail: sockOn ? "RFS partly set" : "flow counts without rps_sock_flow_entries")
    }
}
