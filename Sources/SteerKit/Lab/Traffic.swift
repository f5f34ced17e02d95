#if canImport(Glibc)
import Glibc
#endif

/// One iperf3 client of the lab.
public struct TrafficClient: Equatable, Sendable {
    public var pod: String
    public var pid: Int32
    public var server: String
    public var log: String
}

/// iperf3 clients in the lab's client pods, one per server pod, over TCP with 128 KB
/// writes, as in the paper (section V-B).
public enum Traffic {
    /// iperf3 refuses -t over a day.
    public static let maxDuration = 86_400.0

    /// Starts `replicas` clients for `duration` seconds (0 = until stopped). Client pod K
    /// sends to server pod K. The clients run in a session of their own and log to the
    /// lab's log directory, so any steertop process can follow them.
    public static func start(replicas: Int, duration: Double, state: StateDirectory = .resolve()) throws(SteerError) -> [TrafficClient] {
        guard LibC.isRoot else { throw SteerError.notRoot(action: "starting lab traffic") }
        guard let pods = Lab.podCount(state) else {
            throw SteerError.invalid("the lab is not up: run `steertop lab up` first")
        }
        guard replicas >= 1 && replicas <= pods else {
            throw SteerError.invalid("--replicas must be between 1 and \(pods) (the lab has \(pods) server pods; `steertop lab up --pods N` for more)")
        }
        guard duration.isFinite, duration >= 0, duration <= Traffic.maxDuration else {
            throw SteerError.invalid("--duration must be 0 (until stopped) or up to \(Int(Traffic.maxDuration)) seconds (iperf3's limit)")
        }
        let busy = Set(running(state: state).map(\.pod))
        var started: [TrafficClient] = []
        for k in 1...replicas {
            let client = LabPod(side: .client, index: k), server = LabPod(side: .server, index: k)
            if busy.contains(client.netns) {
                stop(started, state: state)
                throw SteerError.invalid("traffic is already running from \(client.netns); stop it first (`steertop lab traffic --stop`)")
            }
            let log = Lab.logFile(state, client)
            _ = LibC.unlink(log)
            let argv = [Command.resolve("ip") ?? "ip", "netns", "exec", client.netns,
                        "iperf3", "-c", server.address, "-p", String(Lab.iperfPort), "-t", String(Int(duration.rounded(.up))),
                        "-l", "128K", "-i", "1", "--forceflush", "-f", "k", "--logfile", log]
            switch LibC.spawn(argv, newSession: true) {
            case .success(let pid):
                started.append(TrafficClient(pod: client.netns, pid: pid, server: server.netns, log: log))
            case .failure(let e):
                stop(started, state: state)
                throw SteerError.spawn(command: "ip netns exec … iperf3", errno: e)
            }
        }
        save(running(state: state) + started, state: state)
        return started
    }

    /// The lab's clients that are still running.
    public static func running(state: StateDirectory = .resolve()) -> [TrafficClient] {
        guard case .success(let text) = LibC.readText(Lab.trafficFile(state), limit: BoundedFile.Kind.labState.limit),
              let doc = try? JSONValue.parse(text), let items = doc["clients"]?.array else { return [] }
        return items.compactMap { item -> TrafficClient? in
            guard let pod = item["pod"]?.string, let pid = item["pid"]?.int, let server = item["server"]?.string,
                  let log = item["log"]?.string else { return nil }
            let p = Int32(pid)
            _ = LibC.wait(p, block: false)
            guard LibC.processExists(p), !Processes.isZombie(p),
                  Processes.commandLine(p).contains(where: { $0.contains("iperf3") }) else { return nil }
            return TrafficClient(pod: pod, pid: p, server: server, log: log)
        }
    }

    /// Stops clients (all the lab's when `clients` is nil).
    public static func stop(_ clients: [TrafficClient]? = nil, state: StateDirectory = .resolve()) {
        let all = running(state: state)
        let victims = clients ?? all
        Processes.terminate(victims.map(\.pid))
        let pids = Set(victims.map(\.pid))
        save(all.filter { !pids.contains($0.pid) }, state: state)
    }

    /// Waits until the clients exit (reaping them) or `seconds` pass; false on timeout
    /// or when `interrupted` says to stop.
    public static func wait(_ clients: [TrafficClient], seconds: Double, interrupted: () -> Bool = { false }) -> Bool {
        Processes.waitForExit(clients.map(\.pid), seconds: seconds, interrupted: interrupted)
    }

    static func save(_ clients: [TrafficClient], state: StateDirectory) {
        var out = JSONBuffer()
        out.beginObject()
        out.key("clients")
        out.beginArray()
        for c in clients {
            out.beginObject()
            out.key("pod"); out.string(c.pod)
            out.key("pid"); out.int(Int(c.pid))
            out.key("server"); out.string(c.server)
            out.key("log"); out.string(c.log)
            out.endObject()
        }
        out.endArray()
        out.endObject()
        out.newline()
        _ = LibC.writeFileAtomically(Lab.trafficFile(state), String(decoding: out.bytes, as: UTF8.self))
    }
}
