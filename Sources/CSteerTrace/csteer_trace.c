#define _GNU_SOURCE
#include "csteer_trace.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define PROGRAMS 3
// Entries the drain buffer holds: a whole flow map and room for a bucket more, so that
// a batched read of a full map does not stop short.
#define FLOW_BUFFER (CSTEER_TRACE_MAX_FLOWS + 256)

struct csteer_trace {
    struct bpf_object *object;
    struct bpf_link *links[PROGRAMS];
    int link_count;
    int ctl_fd;
    int stage_fd, flow_fd, reader_fd, lost_fd;
    int gen;
    int cpus;
    // Batch buffers, sized once: keys and per-CPU values of the largest map.
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

void csteer_trace_close(struct csteer_trace *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->link_count; i++)
        bpf_link__destroy(t->links[i]);
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
    int err = bpf_object__load(t->object);
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
    t->flow_fd = map_fd(t->object, "flows");
    t->reader_fd = map_fd(t->object, "readers");
    t->lost_fd = map_fd(t->object, "lost");
    // One buffer of keys and one of per-CPU values, as large as the largest map whole.
    size_t key_size = sizeof(struct csteer_sock_key);
    size_t value_size = per_cpu_stride(t, sizeof(struct csteer_reader_slot));
    if (per_cpu_stride(t, sizeof(struct csteer_flow_slot)) > value_size)
        value_size = per_cpu_stride(t, sizeof(struct csteer_flow_slot));
    if (per_cpu_stride(t, sizeof(struct csteer_stage_value)) > value_size)
        value_size = per_cpu_stride(t, sizeof(struct csteer_stage_value));
    size_t entries = FLOW_BUFFER > 2 * CSTEER_TRACE_MAX_DEVICES ? FLOW_BUFFER : 2 * CSTEER_TRACE_MAX_DEVICES;
    t->keys = calloc(entries, key_size);
    t->values = calloc(entries, value_size);
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

// A per-CPU hash keyed by (socket, generation): the whole map read (batched: one call
// per up to the buffer's capacity), `row` called for each entry of generation `gen`
// with its per-CPU slots, then those entries deleted (one batched call). The other
// generation's entries, being counted into, stay.
typedef void (*row_fn)(const void *slots, int cpus, void *ctx);

static int drain_hash(struct csteer_trace *t, int fd, int gen, size_t slot_size, row_fn row, void *ctx)
{
    size_t stride = per_cpu_stride(t, slot_size);
    struct csteer_sock_key *keys = t->keys;
    uint32_t capacity = FLOW_BUFFER, total = 0;
    uint64_t in_batch = 0, out_batch = 0;
    int first = 1;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    while (total < capacity) {
        uint32_t count = capacity - total;
        int err = bpf_map_lookup_batch(fd, first ? NULL : &in_batch, &out_batch, keys + total,
                                       (char *)t->values + total * stride, &count, &opts);
        int e = err ? errno : 0;
        // ENOSPC: the next bucket holds more entries than the buffer has room for (a map
        // at its cap): drain what was read; the rest waits for this generation's next turn.
        if (err && e != ENOENT && e != ENOSPC)
            return -e;
        total += count;
        if (err) // ENOENT: that was the last batch
            break;
        in_batch = out_batch;
        first = 0;
    }
    uint32_t drained = 0;
    for (uint32_t i = 0; i < total; i++) {
        if (keys[i].gen != (uint32_t)gen)
            continue;
        row((const char *)t->values + i * stride, t->cpus, ctx);
        keys[drained++] = keys[i];
    }
    if (drained > 0 && bpf_map_delete_batch(fd, keys, &drained, &opts) && errno != ENOENT)
        return -errno;
    return 0;
}

static void flow_row(const void *slots, int cpus, void *c)
{
    struct drain_ctx *ctx = c;
    const struct csteer_flow_slot *v = slots;
    for (int cpu = 0; cpu < cpus; cpu++) {
        if (v[cpu].counts.skbs == 0 || ctx->flow_count == ctx->flow_capacity)
            continue;
        struct csteer_flow_row *r = &ctx->flows[ctx->flow_count++];
        r->key = v[cpu].flow;
        r->cpu = cpu; r->pad = 0;
        r->segments = v[cpu].counts.segments; r->skbs = v[cpu].counts.skbs; r->bytes = v[cpu].counts.bytes;
    }
}

static void reader_row(const void *slots, int cpus, void *c)
{
    struct drain_ctx *ctx = c;
    const struct csteer_reader_slot *v = slots;
    for (int cpu = 0; cpu < cpus; cpu++) {
        if (v[cpu].counts.reads == 0 || ctx->reader_count == ctx->reader_capacity)
            continue;
        struct csteer_reader_row *r = &ctx->readers[ctx->reader_count++];
        r->key = v[cpu].flow;
        r->cpu = cpu; r->pad = 0;
        r->value = v[cpu].counts;
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
    if (!err)
        err = drain_hash(t, t->flow_fd, gen, sizeof(struct csteer_flow_slot), flow_row, &ctx);
    if (!err)
        err = drain_hash(t, t->reader_fd, gen, sizeof(struct csteer_reader_slot), reader_row, &ctx);
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
