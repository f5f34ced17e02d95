// steertop's kernel side: one set of BTF tracepoint programs for a whole session.
//
// It counts in per-CPU maps, in the kernel; steertop reads and clears them once per tick.
// The maps come in two generations (0 and 1): the programs count into the generation that
// ctl[0] names, steertop flips ctl[0] and then drains the other one with one batched
// lookup-and-delete per map, so a tick's counts are read whole and nothing counted during
// the read is lost.
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
    BPF_MAP_TYPE_HASH = 1,
    BPF_MAP_TYPE_ARRAY = 2,
    BPF_MAP_TYPE_PERCPU_HASH = 5,
    BPF_MAP_TYPE_PERCPU_ARRAY = 6,
};
#define BPF_ANY 0
#define BPF_NOEXIST 1

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

// ---- maps ----

// ctl[0]: the generation the programs count into (steertop flips it each tick).
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} ctl SEC(".maps");

// Stages count in a per-CPU array of tagged slots, not a hash: the verifier inlines an
// array lookup (a few instructions, no hashing), and a device's slot is its hash's slot
// or one of the next CSTEER_STAGE_PROBES; every CPU claims slots in its own copy, so
// there is nothing to race on. steertop reads the array whole and zeroes it each tick.
#define STAGE_MAP(name) \
    struct { \
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); \
        __uint(max_entries, CSTEER_TRACE_MAX_DEVICES); \
        __type(key, __u32); \
        __type(value, struct csteer_stage_value); \
    } name SEC(".maps")
STAGE_MAP(stages0);
STAGE_MAP(stages1);

#define FLOW_MAP(name) \
    struct { \
        __uint(type, BPF_MAP_TYPE_PERCPU_HASH); \
        __uint(max_entries, CSTEER_TRACE_MAX_FLOWS); \
        __type(key, struct csteer_flow_key); \
        __type(value, struct csteer_flow_value); \
    } name SEC(".maps")
FLOW_MAP(flows0);
FLOW_MAP(flows1);

#define READER_MAP(name) \
    struct { \
        __uint(type, BPF_MAP_TYPE_PERCPU_HASH); \
        __uint(max_entries, CSTEER_TRACE_MAX_FLOWS); \
        __type(key, struct csteer_flow_key); \
        __type(value, struct csteer_reader_value); \
    } name SEC(".maps")
READER_MAP(readers0);
READER_MAP(readers1);

// What did not fit, per generation: [gen * CSTEER_LOST_KINDS + kind], per CPU.
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 2 * CSTEER_LOST_KINDS);
    __type(key, __u32);
    __type(value, __u64);
} lost SEC(".maps");

static __always_inline __u32 generation(void)
{
    __u32 zero = 0;
    __u32 *g = bpf_map_lookup_elem(&ctl, &zero);
    return g && *g ? 1 : 0;
}

static __always_inline void count_lost(__u32 gen, __u32 kind, __u64 n)
{
    __u32 i = gen * CSTEER_LOST_KINDS + kind;
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
    __u32 ifindex = dev->ifindex;
    __u32 netns = dev->nd_net.net->ns.inum;
    __u32 gen = generation();
    void *map = gen ? (void *)&stages1 : (void *)&stages0;
    __u32 hash = netns * 2654435761u ^ ifindex * 40503u;
    for (__u32 i = 0; i < CSTEER_STAGE_PROBES; i++) {
        __u32 slot = (hash + i) & (CSTEER_TRACE_MAX_DEVICES - 1);
        struct csteer_stage_value *v = bpf_map_lookup_elem(map, &slot);
        if (!v)
            return 0;
        if (v->packets == 0) {
            v->netns = netns;
            v->ifindex = ifindex;
        } else if (v->netns != netns || v->ifindex != ifindex) {
            continue;
        }
        v->packets += 1;
        v->bytes += skb->len;
        return 0;
    }
    count_lost(gen, CSTEER_LOST_STAGE_PACKETS, 1);
    return 0;
}

// ---- flows ----

static __always_inline bool flow_key(struct sock *sk, struct csteer_flow_key *key)
{
    unsigned short family = sk->__sk_common.skc_family;
    key->netns = sk->__sk_common.skc_net.net->ns.inum;
    key->family = family;
    key->lport = sk->__sk_common.skc_num;
    key->rport = __builtin_bswap16(sk->__sk_common.skc_dport);
    if (family == AF_INET) {
        __be32 l = sk->__sk_common.skc_rcv_saddr;
        __be32 r = sk->__sk_common.skc_daddr;
        __builtin_memcpy(key->laddr, &l, 4);
        __builtin_memcpy(key->raddr, &r, 4);
        return true;
    }
    if (family == AF_INET6) {
        // Direct loads from the BTF-typed socket: no bpf_probe_read_kernel call (iperf3's
        // dual-stack sockets are AF_INET6: every event of theirs comes here).
        __builtin_memcpy(key->laddr, sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8, 16);
        __builtin_memcpy(key->raddr, sk->__sk_common.skc_v6_daddr.in6_u.u6_addr8, 16);
        return true;
    }
    return false;
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
    struct csteer_flow_key key = {};
    if (!flow_key(sk, &key))
        return 0;
    unsigned char *head = skb->head;
    unsigned int end = skb->end;
    struct skb_shared_info *shinfo = (struct skb_shared_info *)(head + end);
    __u64 segs = BPF_CORE_READ(shinfo, gso_segs);
    if (segs == 0)
        segs = 1;
    __u32 seq[2] = {};
    bpf_probe_read_kernel(seq, sizeof(seq), (char *)skb + bpf_core_field_offset(skb->cb));
    __u64 payload = seq[1] - seq[0];

    __u32 gen = generation();
    void *map = gen ? (void *)&flows1 : (void *)&flows0;
    struct csteer_flow_value *v = bpf_map_lookup_elem(map, &key);
    if (!v) {
        struct csteer_flow_value init = {};
        bpf_map_update_elem(map, &key, &init, BPF_NOEXIST);
        v = bpf_map_lookup_elem(map, &key);
        if (!v) {
            count_lost(gen, CSTEER_LOST_FLOW_SEGMENTS, segs);
            return 0;
        }
    }
    v->segments += segs;
    v->skbs += 1;
    v->bytes += payload;
    return 0;
}

// sock:sock_recv_length fires when a read from a socket returns, in the reader's context:
// counted on the CPU it ran on, with its process and how much it read. Only TCP sockets.
SEC("tp_btf/sock_recv_length")
int BPF_PROG(flow_read, struct sock *sk, int ret, int flags)
{
    if (ret <= 0 || sk->sk_protocol != IPPROTO_TCP)
        return 0;
    struct csteer_flow_key key = {};
    if (!flow_key(sk, &key))
        return 0;
    __u32 gen = generation();
    void *map = gen ? (void *)&readers1 : (void *)&readers0;
    struct csteer_reader_value *v = bpf_map_lookup_elem(map, &key);
    if (!v) {
        struct csteer_reader_value init = {};
        bpf_map_update_elem(map, &key, &init, BPF_NOEXIST);
        v = bpf_map_lookup_elem(map, &key);
        if (!v) {
            count_lost(gen, CSTEER_LOST_FLOW_READS, 1);
            return 0;
        }
    }
    // The process once per flow and CPU; the time of every read (the last CPU is the one
    // with the latest time).
    if (v->reads == 0) {
        v->tgid = bpf_get_current_pid_tgid() >> 32;
        bpf_get_current_comm(v->comm, sizeof(v->comm));
    }
    v->last_ns = bpf_ktime_get_ns();
    v->reads += 1;
    v->bytes += (__u64)ret;
    return 0;
}
