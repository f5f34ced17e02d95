/// Checks every value of a snapshot against the kind of its file before `restore` writes
/// any of them, so that a bad entry anywhere stops the restore before its first write.
///
/// What the kernel accepts (Documentation/networking/scaling.rst, net/core/net-sysfs.c,
/// net/core/sysctl_net_core.c):
/// - rps_cpus: a hex bitmap in 32-bit groups separated by commas (`[0-9a-f,]`, each group
///   1 to 8 digits), no bit at or above nr_cpu_ids;
/// - rps_flow_cnt: a decimal count from 0 to INT_MAX (2147483647);
/// - rps_sock_flow_entries: a decimal count from 0 to 2^29 (the sysctl refuses more).
public enum SnapshotCheck {
    /// The most entries a snapshot holds (a node of 1000 pods with 16 queues each is 32,000 files).
    public static let maxEntries = 100_000
    /// The largest rps_flow_cnt the kernel takes.
    public static let maxFlowCount = 2_147_483_647
    /// The largest rps_sock_flow_entries the kernel takes.
    public static let maxSockFlowEntries = 1 << 29

    /// What is wrong with `snapshot` on a machine of `possibleCPUs` CPUs, one sentence
    /// per bad entry (at most `limit` of them, then a count); empty when all is well.
    public static func problems(_ snapshot: Snapshot, possibleCPUs: Int, limit: Int = 10) -> [String] {
        var out: [String] = []
        var more = 0
        if snapshot.files.count > maxEntries {
            return ["it has \(snapshot.files.count) entries, more than the \(maxEntries) a snapshot may hold"]
        }
        var seen = Set<SteeringFile>()
        for (i, e) in snapshot.files.enumerated() {
            var why = problem(e.value, knob: e.file.knob, possibleCPUs: possibleCPUs)
            if why == nil, !seen.insert(e.file).inserted { why = "names the same file as an earlier entry" }
            guard let why else { continue }
            if out.count < limit {
                out.append("entry \(i + 1) (\(e.file)): \(why)")
            } else {
                more += 1
            }
        }
        if more > 0 { out.append("and \(more) more bad entries") }
        return out
    }

    /// Why `value` cannot go into a file of `knob`, or nil when it can.
    public static func problem(_ value: String, knob: SteeringKnob, possibleCPUs: Int) -> String? {
        let shown = "\"" + TerminalText.escape(value, limit: 40) + "\""
        switch knob {
        case .rpsCPUs:
            let bytes = Array(value.utf8)
            let groupsAllowed = max(1, (possibleCPUs + 31) / 32)
            guard !bytes.isEmpty, bytes.count <= groupsAllowed * 9 + 8 else {
                return "rps_cpus \(shown) is \(bytes.isEmpty ? "empty" : "too long"): a hex mask of at most \(groupsAllowed) groups of 8 digits is expected"
            }
            guard bytes.allSatisfy({ isHex($0) || $0 == 0x2c }) else {
                return "rps_cpus \(shown) is not a hex CPU mask (only 0-9, a-f and commas)"
            }
            let groups = value.split(separator: ",", omittingEmptySubsequences: false)
            guard groups.allSatisfy({ !$0.isEmpty && $0.count <= 8 }) else {
                return "rps_cpus \(shown) is not a hex CPU mask: groups of 1 to 8 hex digits separated by single commas are expected"
            }
            guard let set = CPUSet(mask: value) else { return "rps_cpus \(shown) is not a hex CPU mask" }
            if let top = set.cpus.max(), top >= possibleCPUs {
                return "rps_cpus \(shown) names CPU \(top), but this machine has \(possibleCPUs) possible CPUs (0-\(possibleCPUs - 1))"
            }
            return nil
        case .rpsFlowCount:
            return decimal(value, max: maxFlowCount, name: "rps_flow_cnt", shown: shown)
        case .sockFlowEntries:
            return decimal(value, max: maxSockFlowEntries, name: "rps_sock_flow_entries", shown: shown)
        }
    }

    static func isHex(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46) }

    static func decimal(_ value: String, max: Int, name: String, shown: String) -> String? {
        let bytes = Array(value.utf8)
        guard !bytes.isEmpty, bytes.count <= 10, bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int(value) else {
            return "\(name) \(shown) is not a decimal count (digits only, 0 to \(max))"
        }
        guard n <= max else { return "\(name) \(shown) is above the kernel's limit of \(max)" }
        return nil
    }
}
