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

struct csteer_trace {
    struct bpf_object *object;
    struct bpf_link *links[PROGRAMS];
    int link_count;
    int ctl_fd;
    int stage_fd[2], flow_fd[2], reader_fd[2], lost_fd;
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
    t->stage_fd[0] = map_fd(t->object, "stages0");
    t->stage_fd[1] = map_fd(t->object, "stages1");
    t->flow_fd[0] = map_fd(t->object, "flows0");
    t->flow_fd[1] = map_fd(t->object, "flows1");
    t->reader_fd[0] = map_fd(t->object, "readers0");
    t->reader_fd[1] = map_fd(t->object, "readers1");
    t->lost_fd = map_fd(t->object, "lost");
    size_t key_size = sizeof(struct csteer_flow_key);
    size_t value_size = sizeof(struct csteer_reader_value) * t->cpus;
    if (sizeof(struct csteer_flow_value) * t->cpus > value_size)
        value_size = sizeof(struct csteer_flow_value) * t->cpus;
    if (sizeof(struct csteer_stage_value) * t->cpus > value_size)
        value_size = sizeof(struct csteer_stage_value) * t->cpus;
    t->keys = calloc(CSTEER_TRACE_MAX_FLOWS, key_size);
    t->values = calloc(CSTEER_TRACE_MAX_FLOWS, value_size);
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

// Reads and deletes every entry of a hash map: batched (one call per up to `max`
// entries). Calls `row` for each key and its value (per CPU for per-CPU maps).
typedef void (*row_fn)(const void *key, const void *value, int cpus, void *ctx);

static int drain_map(struct csteer_trace *t, int fd, size_t key_size, size_t value_size, int percpu,
                     uint32_t max, row_fn row, void *ctx)
{
    size_t stride = percpu ? ((value_size + 7) & ~(size_t)7) * t->cpus : value_size;
    uint64_t in_batch = 0, out_batch = 0;
    int first = 1;
    for (;;) {
        uint32_t count = max;
        LIBBPF_OPTS(bpf_map_batch_opts, opts);
        int err = bpf_map_lookup_and_delete_batch(fd, first ? NULL : &in_batch, &out_batch,
                                                  t->keys, t->values, &count, &opts);
        int e = err ? errno : 0;
        if (err && e != ENOENT)
            return -e;
        for (uint32_t i = 0; i < count; i++)
            row((const char *)t->keys + i * key_size, (const char *)t->values + i * stride, percpu ? t->cpus : 1, ctx);
        if (err) // ENOENT: that was the last batch
            return 0;
        in_batch = out_batch;
        first = 0;
    }
}

struct drain_ctx {
    struct csteer_stage_row *stages; int stage_capacity; int stage_count;
    struct csteer_flow_row *flows; int flow_capacity; int flow_count;
    struct csteer_reader_row *readers; int reader_capacity; int reader_count;
};

// The stage array of one generation: read whole (one batched call), its used slots
// made rows, then zeroed (one batched call) for the generation after next.
static int drain_stages(struct csteer_trace *t, int fd, struct drain_ctx *ctx)
{
    size_t stride = ((sizeof(struct csteer_stage_value) + 7) & ~(size_t)7) * t->cpus;
    uint32_t *keys = t->keys;
    uint32_t count = CSTEER_TRACE_MAX_DEVICES;
    uint64_t out_batch = 0;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    int err = bpf_map_lookup_batch(fd, NULL, &out_batch, keys, t->values, &count, &opts);
    if (err && errno != ENOENT)
        return -errno;
    for (uint32_t i = 0; i < count; i++) {
        const struct csteer_stage_value *v = (const void *)((const char *)t->values + i * stride);
        for (int cpu = 0; cpu < t->cpus; cpu++) {
            if (v[cpu].packets == 0 || ctx->stage_count == ctx->stage_capacity)
                continue;
            struct csteer_stage_row *r = &ctx->stages[ctx->stage_count++];
            r->netns = v[cpu].netns; r->ifindex = v[cpu].ifindex; r->cpu = cpu; r->pad = 0;
            r->packets = v[cpu].packets; r->bytes = v[cpu].bytes;
        }
    }
    memset(t->values, 0, stride * count);
    if (count > 0 && bpf_map_update_batch(fd, keys, t->values, &count, &opts))
        return -errno;
    return 0;
}

static void flow_row(const void *key, const void *value, int cpus, void *c)
{
    struct drain_ctx *ctx = c;
    const struct csteer_flow_value *v = value;
    for (int cpu = 0; cpu < cpus; cpu++) {
        if (v[cpu].skbs == 0 || ctx->flow_count == ctx->flow_capacity)
            continue;
        struct csteer_flow_row *r = &ctx->flows[ctx->flow_count++];
        memcpy(&r->key, key, sizeof r->key);
        r->cpu = cpu; r->pad = 0;
        r->segments = v[cpu].segments; r->skbs = v[cpu].skbs; r->bytes = v[cpu].bytes;
    }
}

static void reader_row(const void *key, const void *value, int cpus, void *c)
{
    struct drain_ctx *ctx = c;
    const struct csteer_reader_value *v = value;
    for (int cpu = 0; cpu < cpus; cpu++) {
        if (v[cpu].reads == 0 || ctx->reader_count == ctx->reader_capacity)
            continue;
        struct csteer_reader_row *r = &ctx->readers[ctx->reader_count++];
        memcpy(&r->key, key, sizeof r->key);
        r->cpu = cpu; r->pad = 0;
        memcpy(&r->value, &v[cpu], sizeof r->value);
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
    int err = drain_stages(t, t->stage_fd[gen], &ctx);
    if (!err)
        err = drain_map(t, t->flow_fd[gen], sizeof(struct csteer_flow_key), sizeof(struct csteer_flow_value), 1,
                        CSTEER_TRACE_MAX_FLOWS, flow_row, &ctx);
    if (!err)
        err = drain_map(t, t->reader_fd[gen], sizeof(struct csteer_flow_key), sizeof(struct csteer_reader_value), 1,
                        CSTEER_TRACE_MAX_FLOWS, reader_row, &ctx);
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
