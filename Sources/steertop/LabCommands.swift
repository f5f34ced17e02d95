import ArgumentParser
import SteerKit

#if canImport(Glibc)
import Glibc
#endif

extension Steertop {
    struct Lab: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The local overlay lab: the paper's topology in network namespaces on this machine.",
            discussion: """
            Two nodes (steer-client, steer-server) joined by eth1, a VXLAN device vxlan.calico in each, and per pod \
            a namespace with eth0 and a cali* veth on its node; iperf3 servers in the server pods. Needs root, \
            iproute2 and iperf3.
            """,
            subcommands: [Up.self, Down.self, LabStatus.self, Traffic.self])
    }
}

extension Steertop.Lab {
    struct Up: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Build the lab (safe to run twice).")

        @Option(parsing: .unconditional, help: "Pods per node.")
        var pods: Int = 4

        func validate() throws {
            guard pods >= 1 && pods <= 64 else { throw ValidationError("--pods must be between 1 and 64") }
        }

        func run() throws {
            let state = StateDirectory.resolve()
            let start = LibC.monotonic()
            let built = try SteerKit.Lab.up(pods: pods, state: state, log: note)
            if built {
                let ms = Int((LibC.monotonic() - start) * 1000)
                output("lab up: steer-client and steer-server with \(pods) pods each, iperf3 servers listening (\(ms) ms)\n")
            }
        }
    }

    struct Down: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove every steer-* namespace, link and process of the lab.")

        func run() throws {
            guard LibC.isRoot else { throw SteerError.notRoot(action: "steertop lab down") }
            for line in SteerKit.Lab.down() { output("lab down: \(line)\n") }
        }
    }

    struct LabStatus: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "status", abstract: "Show what of the lab is up.")

        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            let s = SteerKit.Lab.status()
            if json {
                var out = JSONBuffer()
                out.beginObject()
                out.key("up"); out.bool(s.isUp)
                out.key("pods"); out.int(s.pods)
                out.key("namespaces")
                out.beginArray()
                for n in s.namespaces { out.string(n) }
                out.endArray()
                out.key("servers")
                out.beginArray()
                for srv in s.servers {
                    out.beginObject()
                    out.key("pod"); out.string(srv.pod)
                    out.key("pid"); out.intOrNull(srv.pid.map(Int.init))
                    out.key("running"); out.bool(srv.running)
                    out.endObject()
                }
                out.endArray()
                out.key("clients")
                out.beginArray()
                for c in s.clients {
                    out.beginObject()
                    out.key("pod"); out.string(c.pod)
                    out.key("pid"); out.int(Int(c.pid))
                    out.endObject()
                }
                out.endArray()
                out.key("vxlan_rx_bytes"); out.intOrNull(s.vxlanRxBytes.map { Int($0) })
                out.key("problems")
                out.beginArray()
                for p in s.problems { out.string(p) }
                out.endArray()
                out.endObject()
                out.newline()
                output(String(decoding: out.bytes, as: UTF8.self))
                return
            }
            guard s.isUp || !s.namespaces.isEmpty else {
                output("lab: down (start it with `steertop lab up`)\n")
                return
            }
            if s.pods == 0 {
                output("lab: \(s.namespaces.count) lab namespaces, no lab state here\n")
            } else {
                output("lab: \(s.isUp ? "up" : "DEGRADED"), \(s.pods) pods per node, \(s.namespaces.count) namespaces\n")
            }
            for srv in s.servers {
                output("  \(srv.pod): iperf3 -s \(srv.running ? "running (pid \(srv.pid.map(String.init) ?? "?"))" : "NOT running")\n")
            }
            output(s.clients.isEmpty ? "  traffic: none\n" : "  traffic: \(s.clients.count) iperf3 clients (\(s.clients.map(\.pod).joined(separator: ", ")))\n")
            if let rx = s.vxlanRxBytes { output("  steer-server vxlan.calico rx: \(rx) bytes\n") }
            for p in s.problems { output("  problem: \(p)\n") }
        }
    }

    struct Traffic: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run iperf3 clients (TCP, 128 KB writes), one per server pod, and wait for them.")

        @Option(parsing: .unconditional, help: "Number of client/server pairs.")
        var replicas: Int = 1

        @Option(parsing: .unconditional, help: "Seconds (0 = until stopped).")
        var duration: Double = 30

        @Flag(help: "Start the clients and return at once.")
        var detach = false

        @Flag(help: "Stop the lab's running clients.")
        var stop = false

        func validate() throws {
            guard duration.isFinite, duration >= 0, duration <= SteerKit.Traffic.maxDuration else {
                throw ValidationError("--duration must be 0 (until stopped) or up to \(Int(SteerKit.Traffic.maxDuration)) seconds")
            }
            guard replicas >= 1 else { throw ValidationError("--replicas must be at least 1") }
            if duration == 0 && !detach && !stop { throw ValidationError("--duration 0 runs until stopped: add --detach") }
        }

        func run() throws {
            let state = StateDirectory.resolve()
            if stop {
                let n = SteerKit.Traffic.running(state: state).count
                SteerKit.Traffic.stop(state: state)
                output("stopped \(n) iperf3 clients\n")
                return
            }
            let clients = try SteerKit.Traffic.start(replicas: replicas, duration: duration, state: state)
            output("started \(clients.count) iperf3 clients for \(duration == 0 ? "until stopped" : "\(duration) s"); logs in \(SteerKit.Lab.logDirectory(state))\n")
            guard !detach else { return }
            let signals = try SignalPipe([SIGINT, SIGTERM, SIGHUP])
            let done = SteerKit.Traffic.wait(clients, seconds: duration + 15) { signals.received != nil }
            if !done {
                SteerKit.Traffic.stop(clients, state: state)
                output("stopped the clients\n")
            } else {
                output("traffic done\n")
            }
        }
    }
}
