/// Format v1's record types and their keys, each written once (docs/recording-format.md).
///
/// The encoder and the decoder (`RecordCodec`) and the statistics' fast reader
/// (`LineFields` in Statistics/RunExtractor.swift) take every name from here, so a key is
/// spelled in one place. To add a field: add its key here, write it in `RecordCodec.encode`,
/// read it in `RecordCodec.decode…` (and in `LineFields` only if the statistics use it),
/// and describe it in docs/recording-format.md.
///
/// The names are `StaticString`s behind computed properties: they fold to constants, so
/// the hot paths (one sample per tick, hundreds of MB through `stats`) compare bytes as
/// before, with no lookup.
public enum RecordSchema {
    /// The `"type"` key every record starts with, and its values.
    public enum RecordType {
        @inline(__always) public static var key: StaticString { "type" }
        @inline(__always) public static var header: StaticString { "header" }
        @inline(__always) public static var sample: StaticString { "sample" }
        @inline(__always) public static var mode: StaticString { "mode" }
        @inline(__always) public static var run: StaticString { "run" }
        @inline(__always) public static var streamEnd: StaticString { "stream_end" }
        @inline(__always) public static var note: StaticString { "note" }
    }

    /// `t`: seconds since the header's `started`, in every record but the header.
    @inline(__always) public static var t: StaticString { "t" }

    /// The `header` record (`RecordingHeader`).
    public enum Header {
        @inline(__always) public static var format: StaticString { "format" }
        @inline(__always) public static var version: StaticString { "version" }
        @inline(__always) public static var started: StaticString { "started" }
        @inline(__always) public static var host: StaticString { "host" }
        @inline(__always) public static var kernel: StaticString { "kernel" }
        @inline(__always) public static var cpus: StaticString { "cpus" }
        @inline(__always) public static var intervalSeconds: StaticString { "interval_s" }
        @inline(__always) public static var tool: StaticString { "tool" }
        @inline(__always) public static var argv: StaticString { "argv" }
        @inline(__always) public static var targets: StaticString { "targets" }
        /// Optional: netns name → "namespace/pod", and node-side veth → "namespace/pod".
        @inline(__always) public static var pods: StaticString { "pods" }
        @inline(__always) public static var veths: StaticString { "veths" }

        /// `tool` {name, version}.
        public enum Tool {
            @inline(__always) public static var name: StaticString { "name" }
            @inline(__always) public static var version: StaticString { "version" }
        }

        /// `targets` (`RecordingTargets`).
        public enum Targets {
            @inline(__always) public static var node: StaticString { "node" }
            @inline(__always) public static var ifaces: StaticString { "ifaces" }
            @inline(__always) public static var netns: StaticString { "netns" }
            @inline(__always) public static var podIfaces: StaticString { "pod_ifaces" }
        }
    }

    /// The `sample` record (`Sample`).
    public enum Sample {
        @inline(__always) public static var mode: StaticString { "mode" }
        @inline(__always) public static var cpu: StaticString { "cpu" }
        @inline(__always) public static var netRX: StaticString { "net_rx" }
        @inline(__always) public static var netTX: StaticString { "net_tx" }
        @inline(__always) public static var softnet: StaticString { "softnet" }
        @inline(__always) public static var ifaces: StaticString { "ifaces" }
        @inline(__always) public static var sockFlowEntries: StaticString { "sock_flow_entries" }
        @inline(__always) public static var streams: StaticString { "streams" }
        @inline(__always) public static var totalBps: StaticString { "total_bps" }
        @inline(__always) public static var missing: StaticString { "missing" }
        @inline(__always) public static var stages: StaticString { "stages" }
        @inline(__always) public static var flows: StaticString { "flows" }
        @inline(__always) public static var stagesLeftOut: StaticString { "stages_left_out" }
        @inline(__always) public static var flowsLeftOut: StaticString { "flows_left_out" }
        @inline(__always) public static var traceOff: StaticString { "trace_off" }

        /// One entry of `cpu` (`CPUUsage`), in percent over the tick.
        public enum CPU {
            @inline(__always) public static var cpu: StaticString { "cpu" }
            @inline(__always) public static var usr: StaticString { "usr" }
            @inline(__always) public static var nice: StaticString { "nice" }
            @inline(__always) public static var sys: StaticString { "sys" }
            @inline(__always) public static var iowait: StaticString { "iowait" }
            @inline(__always) public static var irq: StaticString { "irq" }
            @inline(__always) public static var soft: StaticString { "soft" }
            @inline(__always) public static var steal: StaticString { "steal" }
            @inline(__always) public static var guest: StaticString { "guest" }
            @inline(__always) public static var gnice: StaticString { "gnice" }
            @inline(__always) public static var idle: StaticString { "idle" }
        }

        /// One entry of `softnet` (`SoftnetRates`), per second.
        public enum Softnet {
            @inline(__always) public static var cpu: StaticString { "cpu" }
            @inline(__always) public static var processed: StaticString { "processed" }
            @inline(__always) public static var dropped: StaticString { "dropped" }
            @inline(__always) public static var timeSqueeze: StaticString { "time_squeeze" }
            @inline(__always) public static var receivedRPS: StaticString { "received_rps" }
            @inline(__always) public static var flowLimit: StaticString { "flow_limit" }
        }

        /// One entry of `ifaces` (`InterfaceSample`).
        public enum Interface {
            @inline(__always) public static var name: StaticString { "name" }
            @inline(__always) public static var netns: StaticString { "netns" }
            @inline(__always) public static var rxBps: StaticString { "rx_bps" }
            @inline(__always) public static var txBps: StaticString { "tx_bps" }
            @inline(__always) public static var rxPps: StaticString { "rx_pps" }
            @inline(__always) public static var txPps: StaticString { "tx_pps" }
            @inline(__always) public static var queues: StaticString { "queues" }
        }

        /// One entry of an interface's `queues` (`QueueState`).
        public enum Queue {
            @inline(__always) public static var queue: StaticString { "queue" }
            @inline(__always) public static var rpsCPUs: StaticString { "rps_cpus" }
            @inline(__always) public static var rpsFlowCount: StaticString { "rps_flow_cnt" }
        }

        /// One entry of `stages` (`StageRate`).
        public enum Stage {
            @inline(__always) public static var netns: StaticString { "netns" }
            @inline(__always) public static var device: StaticString { "device" }
            @inline(__always) public static var pps: StaticString { "pps" }
        }

        /// One entry of `flows` (`FlowRate`).
        public enum Flow {
            @inline(__always) public static var netns: StaticString { "netns" }
            @inline(__always) public static var local: StaticString { "local" }
            @inline(__always) public static var remote: StaticString { "remote" }
            @inline(__always) public static var segments: StaticString { "segments" }
            @inline(__always) public static var bps: StaticString { "bps" }
            @inline(__always) public static var readerCPU: StaticString { "reader_cpu" }
            @inline(__always) public static var reader: StaticString { "reader" }
            @inline(__always) public static var locality: StaticString { "locality" }
            @inline(__always) public static var stream: StaticString { "stream" }
        }

        /// One entry of `streams` (`StreamRate`).
        public enum Stream {
            @inline(__always) public static var id: StaticString { "id" }
            @inline(__always) public static var bps: StaticString { "bps" }
            @inline(__always) public static var state: StaticString { "state" }
        }
    }

    /// The `mode` record (`ModeChange`).
    public enum ModeChange {
        @inline(__always) public static var from: StaticString { "from" }
        @inline(__always) public static var to: StaticString { "to" }
        @inline(__always) public static var ok: StaticString { "ok" }
        @inline(__always) public static var writes: StaticString { "writes" }
        @inline(__always) public static var errors: StaticString { "errors" }

        /// One entry of `writes` (`FileWrite`).
        public enum Write {
            @inline(__always) public static var netns: StaticString { "netns" }
            @inline(__always) public static var path: StaticString { "path" }
            @inline(__always) public static var before: StaticString { "before" }
            @inline(__always) public static var after: StaticString { "after" }
        }
    }

    /// The `run` record (`RunMark`).
    public enum Run {
        @inline(__always) public static var event: StaticString { "event" }
        @inline(__always) public static var run: StaticString { "run" }
        @inline(__always) public static var mode: StaticString { "mode" }
        @inline(__always) public static var replicas: StaticString { "replicas" }
        @inline(__always) public static var complete: StaticString { "complete" }
    }

    /// The `stream_end` record (`StreamEnd`).
    public enum StreamEnd {
        @inline(__always) public static var id: StaticString { "id" }
        @inline(__always) public static var bps: StaticString { "bps" }
        @inline(__always) public static var bytes: StaticString { "bytes" }
        @inline(__always) public static var seconds: StaticString { "seconds" }
    }

    /// The `note` record (`Note`).
    public enum Note {
        @inline(__always) public static var text: StaticString { "text" }
    }

    /// How many decimals each kind of figure keeps when written (the round-trip precision):
    /// `t` and seconds 3, CPU percentages 2, rates per second 1, bits and bytes 0, shares
    /// (0 … 1, locality) 4.
    public enum Decimals {
        @inline(__always) public static var seconds: Int { 3 }
        @inline(__always) public static var percent: Int { 2 }
        @inline(__always) public static var perSecond: Int { 1 }
        @inline(__always) public static var bits: Int { 0 }
        @inline(__always) public static var share: Int { 4 }
    }
}

/// Lets a `switch` over a decoded type name use the schema's names: `case Ty.sample:`.
@inline(__always)
func ~= (pattern: StaticString, value: String) -> Bool {
    var value = value
    return value.withUTF8 { v in
        v.count == pattern.utf8CodeUnitCount
            && v.elementsEqual(UnsafeBufferPointer(start: pattern.utf8Start, count: pattern.utf8CodeUnitCount))
    }
}
