#define _GNU_SOURCE
#include "csteer_trace.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define PROGRAMS 3

// The kernel lays an array map's values 8 bytes apart; the mapped slots are read as C arrays.
_Static_assert(sizeof(struct csteer_flow_slot) % 8 == 0, "flow slots are 8-byte multiples");
_Static_assert(sizeof(struct csteer_reader_slot) % 8 == 0, "reader slots are 8-byte multiples");

struct csteer_trace {
    struct bpf_object *object;
    struct bpf_link *links[PROGRAMS];
    int link_count;
    int ctl_fd;
    int stage_fd, lost_fd;
    int gen;
    int cpus;
    // The flow and reader maps, mapped: each CPU's regions of slots, read and cleared in
    // place (no syscall, no copy of the empty slots' bytes).
    struct csteer_flow_slot *flows;
    struct csteer_reader_slot *readers;
    size_t flows_size, readers_size;
    // Stage batch buffers, sized once: keys and per-CPU values of the whole stage array.
    void *keys;
    void *values;
};

// libbpf's messages: the last warning kept for the one-line error.
static __thread char last_message[256];

static int keep_message(enum libbpf_print_level level, const char *format, va_list args)
{
    if (level == LIBBPF_DEBUG)
        return 0;
    char line[256];
    int n = vsnprintf(line, sizeof line, format, args);
    if (n <= 0)
        return 0;
    // Trim the newline; skip libbpf's trailing context lines that say nothing alone.
    size_t len = strlen(line);
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == ' '))
        line[--len] = 0;
    if (len > 0)
        memcpy(last_message, line, len + 1);
    return 0;
}

static void say(char *why, size_t size, const char *what, int err)
{
    if (!why || size == 0)
        return;
    if (last_message[0])
        snprintf(why, size, "%s: %s (libbpf: %s)", what, strerror(err), last_message);
    else
        snprintf(why, size, "%s: %s", what, strerror(err));
}

int csteer_trace_possible_cpus(void)
{
    return libbpf_num_possible_cpus();
}

// The bytes of one entry of a per-CPU map as the syscalls pass them: each CPU's value
// rounded up to 8 bytes.
static size_t per_cpu_stride(const struct csteer_trace *t, size_t value_size)
{
    return ((value_size + 7) & ~(size_t)7) * (size_t)t->cpus;
}

static int map_fd(struct bpf_object *o, const char *name)
{
    struct bpf_map *m = bpf_object__find_map_by_name(o, name);
    return m ? bpf_map__fd(m) : -1;
}

// Slots of a flow or reader map: a region of CSTEER_TRACE_MAX_FLOWS per CPU and generation.
static size_t flow_slots(const struct csteer_trace *t)
{
    return (size_t)t->cpus * 2 * CSTEER_TRACE_MAX_FLOWS;
}

// An array map's bytes as mmap sees them: its values rounded up to 8 bytes, in pages.
static size_t mapped_size(size_t entries, size_t value_size)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t bytes = entries * ((value_size + 7) & ~(size_t)7);
    return (bytes + page - 1) / page * page;
}

static void *map_memory(struct bpf_object *o, const char *name, size_t size)
{
    int fd = map_fd(o, name);
    if (fd < 0)
        return NULL;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    return p == MAP_FAILED ? NULL : p;
}

void csteer_trace_close(struct csteer_trace *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->link_count; i++)
        bpf_link__destroy(t->links[i]);
    if (t->flows)
        munmap(t->flows, t->flows_size);
    if (t->readers)
        munmap(t->readers, t->readers_size);
    bpf_object__close(t->object);
    free(t->keys);
    free(t->values);
    free(t);
}

int csteer_trace_open(const void *bytes, size_t length, struct csteer_trace **out, char *why, size_t why_size)
{
    *out = NULL;
    last_message[0] = 0;
    libbpf_set_print(keep_message);
    libbpf_set_strict_mode(LIBBPF_STRICT_ALL);

    struct csteer_trace *t = calloc(1, sizeof *t);
    if (!t)
        return -ENOMEM;
    t->cpus = libbpf_num_possible_cpus();
    if (t->cpus <= 0) {
        int err = t->cpus < 0 ? t->cpus : -EINVAL;
        say(why, why_size, "counting the possible CPUs", -err);
        free(t);
        return err;
    }
    LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "steertop");
    t->object = bpf_object__open_mem(bytes, length, &opts);
    if (!t->object) {
        int err = -errno;
        say(why, why_size, "opening the BPF object", -err);
        free(t);
        return err;
    }
    // The flow and reader maps: a region per possible CPU (the programs index them by
    // bpf_get_smp_processor_id) and generation.
    int err = 0;
    struct bpf_map *flows = bpf_object__find_map_by_name(t->object, "flows");
    struct bpf_map *readers = bpf_object__find_map_by_name(t->object, "readers");
    if (!flows || !readers)
        err = -ENOENT;
    if (!err)
        err = bpf_map__set_max_entries(flows, (uint32_t)flow_slots(t));
    if (!err)
        err = bpf_map__set_max_entries(readers, (uint32_t)flow_slots(t));
    if (err) {
        say(why, why_size, "sizing the flow maps", -err);
        csteer_trace_close(t);
        return err;
    }
    err = bpf_object__load(t->object);
    if (err) {
        // Which program the verifier or the attach target refused, when libbpf said.
        say(why, why_size, "loading the BPF programs", -err);
        csteer_trace_close(t);
        return err;
    }
    struct bpf_program *p;
    bpf_object__for_each_program(p, t->object) {
        if (t->link_count == PROGRAMS)
            break;
        struct bpf_link *link = bpf_program__attach(p);
        if (!link) {
            err = -errno;
            char what[96];
            snprintf(what, sizeof what, "attaching %s", bpf_program__section_name(p));
            say(why, why_size, what, -err);
            csteer_trace_close(t);
            return err;
        }
        t->links[t->link_count++] = link;
    }
    t->ctl_fd = map_fd(t->object, "ctl");
    t->stage_fd = map_fd(t->object, "stages");
    t->lost_fd = map_fd(t->object, "lost");
    t->flows_size = mapped_size(flow_slots(t), sizeof(struct csteer_flow_slot));
    t->readers_size = mapped_size(flow_slots(t), sizeof(struct csteer_reader_slot));
    t->flows = map_memory(t->object, "flows", t->flows_size);
    t->readers = map_memory(t->object, "readers", t->readers_size);
    if (!t->flows || !t->readers) {
        err = -errno;
        say(why, why_size, "mapping the flow maps", -err);
        csteer_trace_close(t);
        return err;
    }
    // The stage array whole: its keys and per-CPU values.
    t->keys = calloc(2 * CSTEER_TRACE_MAX_DEVICES, sizeof(uint32_t));
    t->values = calloc(2 * CSTEER_TRACE_MAX_DEVICES, per_cpu_stride(t, sizeof(struct csteer_stage_value)));
    if (!t->keys || !t->values) {
        csteer_trace_close(t);
        return -ENOMEM;
    }
    *out = t;
    return 0;
}

int csteer_trace_program_ids(struct csteer_trace *t, uint32_t *ids, int capacity)
{
    int n = 0;
    struct bpf_program *p;
    bpf_object__for_each_program(p, t->object) {
        if (n == capacity)
            break;
        struct bpf_prog_info info;
        uint32_t len = sizeof info;
        memset(&info, 0, sizeof info);
        if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len) == 0)
            ids[n++] = info.id;
    }
    return n;
}

int csteer_trace_flip(struct csteer_trace *t)
{
    uint32_t zero = 0, next = t->gen ? 0 : 1;
    if (bpf_map_update_elem(t->ctl_fd, &zero, &next, BPF_ANY))
        return -errno;
    int old = t->gen;
    t->gen = (int)next;
    return old;
}

struct drain_ctx {
    struct csteer_stage_row *stages; int stage_capacity; int stage_count;
    struct csteer_flow_row *flows; int flow_capacity; int flow_count;
    struct csteer_reader_row *readers; int reader_capacity; int reader_count;
};

// The stage array: generation `gen` owns its slots [gen * MAX_DEVICES, (gen + 1) *
// MAX_DEVICES). The array is read whole (one batched call), that half's used slots made
// rows, then zeroed (one batched call) for the generation after next.
static int drain_stages(struct csteer_trace *t, int gen, struct drain_ctx *ctx)
{
    size_t stride = per_cpu_stride(t, sizeof(struct csteer_stage_value));
    uint32_t *keys = t->keys;
    uint32_t count = 2 * CSTEER_TRACE_MAX_DEVICES;
    uint64_t out_batch = 0;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    int err = bpf_map_lookup_batch(t->stage_fd, NULL, &out_batch, keys, t->values, &count, &opts);
    if (err && errno != ENOENT)
        return -errno;
    // Only slots some CPU counted in need zeroing (a slot with no packets is free,
    // whatever its tag): a few dozen of the 1,024, not all.
    uint32_t first = (uint32_t)gen * CSTEER_TRACE_MAX_DEVICES, used = 0;
    for (uint32_t i = 0; i < count; i++) {
        if (keys[i] < first || keys[i] >= first + CSTEER_TRACE_MAX_DEVICES)
            continue;
        const struct csteer_stage_value *v = (const void *)((const char *)t->values + i * stride);
        int counted = 0;
        for (int cpu = 0; cpu < t->cpus; cpu++) {
            if (v[cpu].packets == 0)
                continue;
            counted = 1;
            if (ctx->stage_count == ctx->stage_capacity)
                continue;
            struct csteer_stage_row *r = &ctx->stages[ctx->stage_count++];
            r->netns = v[cpu].netns; r->ifindex = v[cpu].ifindex; r->cpu = cpu; r->pad = 0;
            r->packets = v[cpu].packets; r->bytes = v[cpu].bytes;
        }
        if (counted)
            keys[used++] = keys[i];
    }
    memset(t->values, 0, stride * used);
    if (used > 0 && bpf_map_update_batch(t->stage_fd, keys, t->values, &used, &opts))
        return -errno;
    return 0;
}

// The flow and reader maps, in place: each CPU's region of generation `gen`, every slot
// with a cookie made a row, then cleared for the generation after next. A slot's bytes
// are read from memory: the drained generation is not counted into.
static void drain_flows(struct csteer_trace *t, int gen, struct drain_ctx *ctx)
{
    for (int cpu = 0; cpu < t->cpus; cpu++) {
        struct csteer_flow_slot *v = t->flows + (size_t)(cpu * 2 + gen) * CSTEER_TRACE_MAX_FLOWS;
        for (int i = 0; i < CSTEER_TRACE_MAX_FLOWS; i++) {
            if (v[i].cookie == 0)
                continue;
            if (v[i].counts.skbs > 0 && ctx->flow_count < ctx->flow_capacity) {
                struct csteer_flow_row *r = &ctx->flows[ctx->flow_count++];
                r->key = v[i].flow;
                r->cpu = cpu; r->pad = 0;
                r->segments = v[i].counts.segments; r->skbs = v[i].counts.skbs; r->bytes = v[i].counts.bytes;
            }
            memset(&v[i], 0, sizeof v[i]);
        }
    }
}

static void drain_readers(struct csteer_trace *t, int gen, struct drain_ctx *ctx)
{
    for (int cpu = 0; cpu < t->cpus; cpu++) {
        struct csteer_reader_slot *v = t->readers + (size_t)(cpu * 2 + gen) * CSTEER_TRACE_MAX_FLOWS;
        for (int i = 0; i < CSTEER_TRACE_MAX_FLOWS; i++) {
            if (v[i].cookie == 0)
                continue;
            if (v[i].counts.reads > 0 && ctx->reader_count < ctx->reader_capacity) {
                struct csteer_reader_row *r = &ctx->readers[ctx->reader_count++];
                r->key = v[i].flow;
                r->cpu = cpu; r->pad = 0;
                r->value = v[i].counts;
            }
            memset(&v[i], 0, sizeof v[i]);
        }
    }
}

int csteer_trace_drain(struct csteer_trace *t, int gen,
                       struct csteer_stage_row *stages, int stage_capacity, int *stage_count,
                       struct csteer_flow_row *flows, int flow_capacity, int *flow_count,
                       struct csteer_reader_row *readers, int reader_capacity, int *reader_count,
                       uint64_t lost[CSTEER_LOST_KINDS], char *why, size_t why_size)
{
    last_message[0] = 0;
    gen = gen ? 1 : 0;
    struct drain_ctx ctx = {stages, stage_capacity, 0, flows, flow_capacity, 0, readers, reader_capacity, 0};
    int err = drain_stages(t, gen, &ctx);
    drain_flows(t, gen, &ctx);
    drain_readers(t, gen, &ctx);
    for (int kind = 0; kind < CSTEER_LOST_KINDS; kind++) {
        lost[kind] = 0;
        if (err)
            continue;
        uint32_t index = gen * CSTEER_LOST_KINDS + kind;
        uint64_t *per_cpu = t->values;
        if (bpf_map_lookup_elem(t->lost_fd, &index, per_cpu)) {
            err = -errno;
            continue;
        }
        for (int cpu = 0; cpu < t->cpus; cpu++)
            lost[kind] += per_cpu[cpu];
        memset(per_cpu, 0, sizeof(uint64_t) * t->cpus);
        if (bpf_map_update_elem(t->lost_fd, &index, per_cpu, BPF_ANY))
            err = -errno;
    }
    *stage_count = ctx.stage_count;
    *flow_count = ctx.flow_count;
    *reader_count = ctx.reader_count;
    if (err)
        say(why, why_size, "reading the BPF maps", -err);
    return err;
}
