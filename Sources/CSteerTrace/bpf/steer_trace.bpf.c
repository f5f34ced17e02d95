// steertop's kernel side: one set of BTF tracepoint programs for a whole session.
//
// It counts per CPU, in the kernel; steertop reads and clears the counts once per tick.
// Every count lives in a region of an array that only one CPU writes: per-CPU counting
// without atomics. The regions come in two generations (0 and 1): the programs count into
// the generation that `generation_now` names; steertop flips it and then drains the other
// one. The arrays (and the variable) are mmapped: steertop reads and clears the drained
// regions in place, with no syscall, so a tick's counts are read whole and nothing counted
// during the read is lost.
//
// No vmlinux.h: the few kernel structures read here are declared with only the fields
// used, marked preserve_access_index, and libbpf relocates every field access against
// the running kernel's BTF (CO-RE). Built by Plugins/BPFObject with clang -target bpf.

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed char __s8;
typedef short __s16;
typedef int __s32;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef _Bool bool;
#define true 1
#define false 0

enum bpf_map_type_local {
    BPF_MAP_TYPE_ARRAY = 2,
};
#define BPF_F_MMAPABLE (1U << 10)

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "../include/csteer_trace_types.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6

// ---- the kernel structures, only the fields read (CO-RE relocates each access) ----

struct ns_common { unsigned int inum; } __attribute__((preserve_access_index));
struct net { struct ns_common ns; } __attribute__((preserve_access_index));
struct net_device {
    int ifindex;
    struct { struct net *net; } nd_net;
} __attribute__((preserve_access_index));
struct in6_addr { union { __u8 u6_addr8[16]; } in6_u; } __attribute__((preserve_access_index));
struct sock_common {
    __be32 skc_daddr;
    __be32 skc_rcv_saddr;
    __be16 skc_dport;
    __u16 skc_num;
    unsigned short skc_family;
    struct { struct net *net; } skc_net;
    struct { __s64 counter; } skc_cookie;
    struct in6_addr skc_v6_daddr;
    struct in6_addr skc_v6_rcv_saddr;
} __attribute__((preserve_access_index));
struct sock {
    struct sock_common __sk_common;
    __u16 sk_protocol;
} __attribute__((preserve_access_index));
struct sk_buff {
    struct net_device *dev;
    unsigned int len;
    char cb[48];
    unsigned int end;
    unsigned char *head;
} __attribute__((preserve_access_index));
struct skb_shared_info { unsigned short gso_segs; } __attribute__((preserve_access_index));

char LICENSE[] SEC("license") = "GPL";

// A kernel pointer as a read-only BTF-typed one (kernel 6.2+): the verifier turns the call
// into a move and the loads through it into fault-safe direct loads, where
// bpf_probe_read_kernel is a helper call per read.
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

// ---- maps ----
//
// Every map is named by a constant at each lookup, never chosen at run time: the
// verifier then inlines the lookup (an array's is a few instructions). A map chosen
// between two (one per generation) is looked up through the map's ops table, an indirect
// call: with retpolines that cost more than the rest of the program. So the generation is
// part of the index: a region of each array.

// The generation the programs count into: a global (in the object's .bss, which libbpf
// maps into steertop), read with one load; steertop flips it each tick.
volatile __u32 generation_now;

// Stages count in slots tagged with their device, not a hash: the verifier inlines an
// array lookup (a few instructions, no hashing), and a device's slot is its hash's slot
// or one of the next CSTEER_STAGE_PROBES. Each CPU has a region of
// CSTEER_TRACE_MAX_DEVICES slots per generation, at (cpu * 2 + gen) * MAX_DEVICES, and
// claims slots only there, so there is nothing to race on; the loader sizes the array for
// the possible CPUs. A plain array, not a per-CPU one (whose lookup loads the CPU's copy's
// address first), so that steertop can map it.
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(map_flags, BPF_F_MMAPABLE);
    __uint(max_entries, 2 * CSTEER_TRACE_MAX_DEVICES);
    __type(key, __u32);
    __type(value, struct csteer_stage_value);
} stages SEC(".maps");

// Flows and readers: slots tagged with their socket's cookie, in regions as the stages',
// of CSTEER_TRACE_MAX_FLOWS slots each; not hashes: a hash lookup (hashing the key,
// walking its bucket) cost half of each flow program.
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(map_flags, BPF_F_MMAPABLE);
    __uint(max_entries, 2 * CSTEER_TRACE_MAX_FLOWS);
    __type(key, __u32);
    __type(value, struct csteer_flow_slot);
} flows SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(map_flags, BPF_F_MMAPABLE);
    __uint(max_entries, 2 * CSTEER_TRACE_MAX_FLOWS);
    __type(key, __u32);
    __type(value, struct csteer_reader_slot);
} readers SEC(".maps");

// What did not fit: CSTEER_LOST_KINDS counters per region, at (cpu * 2 + gen) * KINDS.
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(map_flags, BPF_F_MMAPABLE);
    __uint(max_entries, 2 * CSTEER_LOST_KINDS);
    __type(key, __u32);
    __type(value, __u64);
} lost SEC(".maps");

// This CPU's region of generation `gen` in an array of `size` slots per region.
static __always_inline __u32 region(__u32 gen, __u32 size)
{
    return (bpf_get_smp_processor_id() * 2 + gen) * size;
}

// The slot of `tag` (a device's or a socket's; every slot type starts with its tag, 0
// when free) in a region of `size` slots from `base`: its hash's slot or one of the next
// `probes`, the first free one if it has none yet; NULL when all are another's. Not
// unrolled: the first probe almost always hits, and a compact program keeps the receive
// path's instruction cache for the kernel. Always inlined, so `map` is a constant at each
// lookup and the verifier inlines it.
static __always_inline __u64 *tagged_slot(void *map, __u32 base, __u32 size, __u32 probes,
                                          __u32 hash, __u64 tag)
{
#pragma clang loop unroll(disable)
    for (__u32 i = 0; i < probes; i++) {
        __u32 slot = base + ((hash + i) & (size - 1));
        __u64 *v = bpf_map_lookup_elem(map, &slot);
        if (!v)
            return NULL;
        if (*v == 0 || *v == tag)
            return v;
    }
    return NULL;
}

static __always_inline __u32 generation(void)
{
    return generation_now & 1;
}

static __always_inline void count_lost(__u32 gen, __u32 kind, __u64 n)
{
    __u32 i = region(gen, CSTEER_LOST_KINDS) + kind;
    __u64 *v = bpf_map_lookup_elem(&lost, &i);
    if (v)
        *v += n;
}

// ---- stages: every device's receive, on the CPU that processes it ----

// net:netif_receive_skb fires in __netif_receive_skb_core, once per skb and per device
// (a packet decapsulated by vxlan or handed over by a veth comes back through it with the
// next device), on the CPU that runs the device's receive: after RPS moved it there.
SEC("tp_btf/netif_receive_skb")
int BPF_PROG(stage_receive, struct sk_buff *skb)
{
    // BTF-typed arguments: direct loads (CO-RE relocated), no bpf_probe_read calls.
    struct net_device *dev = skb->dev;
    if (!dev)
        return 0;
    // The device as a number to hash and compare: its address less a map's (the
    // verifier forbids hashing a pointer, but lets root subtract two and keep the number).
    __u64 tag = (__u64)((char *)dev - (char *)&stages);
    __u32 gen = generation();
    // A net_device is a large slab object: its address's low 12 bits are mostly zero.
    // Fibonacci hashing of the bits above them; the slot takes the product's middle bits.
    __u32 hash = ((__u32)(tag >> 12) * 2654435761u) >> 16;
    struct csteer_stage_value *v = (void *)tagged_slot(&stages, region(gen, CSTEER_TRACE_MAX_DEVICES),
                                                       CSTEER_TRACE_MAX_DEVICES, CSTEER_STAGE_PROBES, hash, tag);
    if (!v) {
        count_lost(gen, CSTEER_LOST_STAGE_PACKETS, 1);
        return 0;
    }
    if (v->dev == 0) {
        // A free slot: claimed with its first counts assigned, not added (a program that
        // loaded the old generation before a flip may still add to a slot the drain has
        // just cleared; its count must not pass to the next claim).
        v->dev = tag;
        v->ifindex = dev->ifindex;
        v->netns = dev->nd_net.net->ns.inum;
        v->packets = 1;
        v->bytes = skb->len;
        return 0;
    }
    v->packets += 1;
    v->bytes += skb->len;
    return 0;
}

// ---- flows ----

static __always_inline void flow_key(struct sock *sk, struct csteer_flow_key *key)
{
    unsigned short family = sk->__sk_common.skc_family;
    key->netns = sk->__sk_common.skc_net.net->ns.inum;
    key->family = family;
    key->lport = sk->__sk_common.skc_num;
    key->rport = __builtin_bswap16(sk->__sk_common.skc_dport);
    if (family == AF_INET6) {
        // Direct loads from the BTF-typed socket: no bpf_probe_read_kernel call (iperf3's
        // dual-stack sockets are AF_INET6: every event of theirs comes here).
        __builtin_memcpy(key->laddr, sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8, 16);
        __builtin_memcpy(key->raddr, sk->__sk_common.skc_v6_daddr.in6_u.u6_addr8, 16);
    } else {
        __be32 l = sk->__sk_common.skc_rcv_saddr;
        __be32 r = sk->__sk_common.skc_daddr;
        __builtin_memcpy(key->laddr, &l, 4);
        __builtin_memcpy(key->raddr, &r, 4);
    }
}

// The socket's cookie: a load once the socket has one, the helper (which gives it one)
// the first time.
static __always_inline __u64 socket_cookie(struct sock *sk)
{
    __u64 cookie = sk->__sk_common.skc_cookie.counter;
    return cookie ? cookie : bpf_get_socket_cookie(sk);
}

// Where a socket's cookie hashes in a region (Fibonacci hashing; cookies are sequential).
static __always_inline __u32 cookie_hash(__u64 cookie)
{
    return (__u32)((cookie * 0x9E3779B97F4A7C15ull) >> 40);
}

static __always_inline bool tcp_family(struct sock *sk)
{
    unsigned short family = sk->__sk_common.skc_family;
    return family == AF_INET || family == AF_INET6;
}

// tcp:tcp_probe fires at the top of tcp_rcv_established: the TCP receive processing of an
// established connection's segment, in softirq on the CPU that ran the flow's IP receive
// (or, when the socket was owned by its reader at that moment, later in the reader's
// context when it releases the socket: that is the reader's CPU). A GRO packet counts
// its gso_segs segments; bytes are the TCP payload (end_seq - seq of the skb's control
// block).
SEC("tp_btf/tcp_probe")
int BPF_PROG(flow_segment, struct sock *sk, struct sk_buff *skb)
{
    if (!tcp_family(sk))
        return 0;
    // The skb's shared info (skb_shinfo: head + end) holds a GRO packet's segment count.
    struct skb_shared_info *shinfo = bpf_rdonly_cast(skb->head + skb->end,
                                                     bpf_core_type_id_kernel(struct skb_shared_info));
    __u64 segs = shinfo->gso_segs;
    if (segs == 0)
        segs = 1;
    // TCP's control block (struct tcp_skb_cb: seq, end_seq first): direct loads, which
    // the verifier allows within skb->cb.
    __u32 *seq = (__u32 *)skb->cb;
    __u64 payload = seq[1] - seq[0];

    __u32 gen = generation();
    __u64 cookie = socket_cookie(sk);
    struct csteer_flow_slot *v = (void *)tagged_slot(&flows, region(gen, CSTEER_TRACE_MAX_FLOWS),
                                                     CSTEER_TRACE_MAX_FLOWS, CSTEER_FLOW_PROBES,
                                                     cookie_hash(cookie), cookie);
    if (!v) {
        count_lost(gen, CSTEER_LOST_FLOW_SEGMENTS, segs);
        return 0;
    }
    if (v->cookie == 0) {
        // The flow's first segment on this CPU this tick: the slot is its, its counts
        // assigned (as a stage's).
        v->cookie = cookie;
        flow_key(sk, &v->flow);
        v->counts.segments = segs;
        v->counts.skbs = 1;
        v->counts.bytes = payload;
        return 0;
    }
    v->counts.segments += segs;
    v->counts.skbs += 1;
    v->counts.bytes += payload;
    return 0;
}

// sock:sock_recv_length fires when a read from a socket returns, in the reader's context:
// counted on the CPU it ran on, with its process and how much it read. Only TCP sockets.
SEC("tp_btf/sock_recv_length")
int BPF_PROG(flow_read, struct sock *sk, int ret, int flags)
{
    if (ret <= 0 || sk->sk_protocol != IPPROTO_TCP || !tcp_family(sk))
        return 0;
    __u32 gen = generation();
    __u64 cookie = socket_cookie(sk);
    struct csteer_reader_slot *v = (void *)tagged_slot(&readers, region(gen, CSTEER_TRACE_MAX_FLOWS),
                                                       CSTEER_TRACE_MAX_FLOWS, CSTEER_FLOW_PROBES,
                                                       cookie_hash(cookie), cookie);
    if (!v) {
        count_lost(gen, CSTEER_LOST_FLOW_READS, 1);
        return 0;
    }
    if (v->cookie == 0) {
        // The flow's first read on this CPU this tick: the flow, the process, the time,
        // its counts assigned (as a stage's).
        v->cookie = cookie;
        flow_key(sk, &v->flow);
        v->counts.tgid = bpf_get_current_pid_tgid() >> 32;
        bpf_get_current_comm(v->counts.comm, sizeof(v->counts.comm));
        v->counts.last_jiffies = bpf_jiffies64();
        v->counts.last_ns = bpf_ktime_get_ns();
        v->counts.reads = 1;
        v->counts.bytes = (__u64)ret;
        return 0;
    }
    // The clock is read once a jiffy (bpf_jiffies64 is a load): the last read's time is
    // the first one's of the last jiffy this CPU read in.
    __u64 j = bpf_jiffies64();
    if (v->counts.last_jiffies != j) {
        v->counts.last_jiffies = j;
        v->counts.last_ns = bpf_ktime_get_ns();
    }
    v->counts.reads += 1;
    v->counts.bytes += (__u64)ret;
    return 0;
}
