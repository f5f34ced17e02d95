// The records shared by steertop's BPF programs (bpf/steer_trace.bpf.c) and the loader
// (csteer_trace.c): map keys and values. Plain fixed-width C types only, so that the BPF
// target and the host compile the same layout.
#ifndef CSTEER_TRACE_TYPES_H
#define CSTEER_TRACE_TYPES_H

/// Capacities per CPU and tick (the slots of each CPU's region of a generation; powers of
/// two): devices (netns, ifindex) and TCP flows.
#define CSTEER_TRACE_MAX_DEVICES 1024
#define CSTEER_TRACE_MAX_FLOWS 2048

/// Kinds of events that found their map full.
#define CSTEER_LOST_STAGE_PACKETS 0
#define CSTEER_LOST_FLOW_SEGMENTS 1
#define CSTEER_LOST_FLOW_READS 2
#define CSTEER_LOST_KINDS 3

/// Packets (skbs) and bytes a device received on one CPU: a slot of the CPU's region of
/// the stage array, tagged with the device it counts (its net_device's address: one load per
/// packet, where the namespace's inode is two more, the last often a cache miss), and
/// the device's namespace inode and index, read once when the slot is claimed (dev 0: a
/// free slot).
struct csteer_stage_value {
    __u64 dev;
    __u32 netns;
    __u32 ifindex;
    __u64 packets;
    __u64 bytes;
};

/// Slots a device may take after its hash slot when that one counts another device.
#define CSTEER_STAGE_PROBES 8

/// A TCP connection as its receiver sees it: namespace, family (AF_INET or AF_INET6),
/// local and remote port (host order) and address (network order; IPv4 in the first 4 bytes).
struct csteer_flow_key {
    __u32 netns;
    __u16 family;
    __u16 lport;
    __u16 rport;
    __u16 pad;
    __u8 laddr[16];
    __u8 raddr[16];
};

/// Segments (gso_segs of each skb), skbs and payload bytes TCP processed on one CPU.
struct csteer_flow_value {
    __u64 segments;
    __u64 skbs;
    __u64 bytes;
};

/// A flow's reads on one CPU (its CPU's slot, so no atomics): when the last one returned
/// (bpf_ktime_get_ns, taken at the first read of each jiffy: a clock read costs more than
/// the rest of the program, and the order of two CPUs' reads a jiffy apart is all it is
/// used for), the jiffy of that, how many, how many bytes, and the process that first
/// read there.
struct csteer_reader_value {
    __u64 last_ns;
    __u64 last_jiffies;
    __u64 reads;
    __u64 bytes;
    __u32 tgid;
    __u32 pad;
    char comm[16];
};

/// Slots a flow may take after its hash slot (in its CPU's region) when that one counts
/// another flow.
#define CSTEER_FLOW_PROBES 8

/// A slot of the flow map: the receiving socket's cookie (unique for the boot, so a socket
/// freed and its memory reused within a tick is another flow; 0: a free slot), the flow
/// (read from the socket when the slot is claimed) and its counts on the slot's CPU.
struct csteer_flow_slot {
    __u64 cookie;
    struct csteer_flow_key flow;
    struct csteer_flow_value counts;
};

/// A slot of the reader map: the socket's cookie, the flow and its reads on the slot's CPU.
struct csteer_reader_slot {
    __u64 cookie;
    struct csteer_flow_key flow;
    struct csteer_reader_value counts;
};

#endif
