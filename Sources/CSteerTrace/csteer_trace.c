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
_Static_assert(sizeof(struct csteer_stage_value) % 8 == 0, "stage slots are 8-byte multiples");
_Static_assert(sizeof(struct csteer_flow_slot) % 8 == 0, "flow slots are 8-byte multiples");
_Static_assert(sizeof(struct csteer_reader_slot) % 8 == 0, "reader slots are 8-byte multiples");
// Every slot starts with its tag (0: free), which the programs and the drain find there.
_Static_assert(offsetof(struct csteer_stage_value, dev) == 0, "a stage slot starts with its tag");
_Static_assert(offsetof(struct csteer_flow_slot, cookie) == 0, "a flow slot starts with its tag");
_Static_assert(offsetof(struct csteer_reader_slot, cookie) == 0, "a reader slot starts with its tag");

// The counting arrays: each has a region of `region` values per possible CPU and
// generation, at (cpu * 2 + gen) * region (bpf/steer_trace.bpf.c), and is mapped here.
enum { STAGES, FLOWS, READERS, LOST, ARRAYS };
static const struct {
    const char *name;
    size_t region, value_size;
} arrays[ARRAYS] = {
    [STAGES] = {"stages", CSTEER_TRACE_MAX_DEVICES, sizeof(struct csteer_stage_value)},
    [FLOWS] = {"flows", CSTEER_TRACE_MAX_FLOWS, sizeof(struct csteer_flow_slot)},
    [READERS] = {"readers", CSTEER_TRACE_MAX_FLOWS, sizeof(struct csteer_reader_slot)},
    [LOST] = {"lost", CSTEER_LOST_KINDS, sizeof(uint64_t)},
};

struct csteer_trace {
    struct bpf_object *object;
    struct bpf_link *links[PROGRAMS];
    int link_count;
    int gen;
    int cpus;
    // The programs' generation (`generation_now` in the object's .bss, mapped by libbpf).
    volatile uint32_t *generation;
    // The counting arrays, mapped: the drain reads and clears them in place (no syscall,
    // no copy of the empty slots).
    void *memory[ARRAYS];
    size_t size[ARRAYS];
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

// Entries of an array: a region per possible CPU and generation.
static size_t entries(const struct csteer_trace *t, int a)
{
    return (size_t)t->cpus * 2 * arrays[a].region;
}

// Region (cpu, gen) of an array, mapped.
static void *region(const struct csteer_trace *t, int a, int cpu, int gen)
{
    return (char *)t->memory[a] + (size_t)(cpu * 2 + gen) * arrays[a].region * arrays[a].value_size;
}

void csteer_trace_close(struct csteer_trace *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->link_count; i++)
        bpf_link__destroy(t->links[i]);
    for (int a = 0; a < ARRAYS; a++)
        if (t->memory[a])
            munmap(t->memory[a], t->size[a]);
    if (t->generation)
        munmap((void *)t->generation, (size_t)sysconf(_SC_PAGESIZE));
    bpf_object__close(t->object);
    free(t);
}

// Sizes the counting arrays for the possible CPUs (before load).
static int size_arrays(struct csteer_trace *t)
{
    for (int a = 0; a < ARRAYS; a++) {
        struct bpf_map *m = bpf_object__find_map_by_name(t->object, arrays[a].name);
        if (!m)
            return -ENOENT;
        int err = bpf_map__set_max_entries(m, (uint32_t)entries(t, a));
        if (err)
            return err;
    }
    return 0;
}

// Maps the counting arrays and finds the generation variable (after load).
static int map_arrays(struct csteer_trace *t)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    for (int a = 0; a < ARRAYS; a++) {
        struct bpf_map *m = bpf_object__find_map_by_name(t->object, arrays[a].name);
        if (!m)
            return -ENOENT;
        size_t bytes = entries(t, a) * arrays[a].value_size;
        t->size[a] = (bytes + page - 1) / page * page;
        void *p = mmap(NULL, t->size[a], PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(m), 0);
        if (p == MAP_FAILED)
            return -errno;
        t->memory[a] = p;
    }
    // The generation: the object's .bss holds that one variable. Mapped here (libbpf 1.1
    // maps an object's .bss only for a skeleton; its own copy is not the map's memory).
    struct bpf_map *m;
    bpf_object__for_each_map(m, t->object) {
        const char *name = bpf_map__name(m);
        size_t n = strlen(name);
        if (!bpf_map__is_internal(m) || n < 4 || strcmp(name + n - 4, ".bss") != 0)
            continue;
        if (bpf_map__value_size(m) != sizeof(uint32_t))
            return -EINVAL;
        void *p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(m), 0);
        if (p == MAP_FAILED)
            return -errno;
        t->generation = p;
    }
    return t->generation ? 0 : -ENOENT;
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
    int err = size_arrays(t);
    if (err) {
        say(why, why_size, "sizing the BPF maps", -err);
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
    err = map_arrays(t);
    if (err) {
        say(why, why_size, "mapping the BPF maps", -err);
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
    int old = t->gen;
    t->gen = old ? 0 : 1;
    // A sequentially consistent store (an xchg: a full barrier), so that the drain's
    // reads come after it.
    __atomic_store_n(t->generation, (uint32_t)t->gen, __ATOMIC_SEQ_CST);
    return old;
}

struct drain_ctx {
    struct csteer_stage_row *stages; int stage_capacity; int stage_count;
    struct csteer_flow_row *flows; int flow_capacity; int flow_count;
    struct csteer_reader_row *readers; int reader_capacity; int reader_count;
};

// The rows a claimed slot of each array makes (a full row buffer drops the rest).
static void stage_row(const void *slot, int cpu, struct drain_ctx *ctx)
{
    const struct csteer_stage_value *v = slot;
    if (ctx->stage_count == ctx->stage_capacity)
        return;
    struct csteer_stage_row *r = &ctx->stages[ctx->stage_count++];
    r->netns = v->netns; r->ifindex = v->ifindex; r->cpu = cpu; r->pad = 0;
    r->packets = v->packets; r->bytes = v->bytes;
}

static void flow_row(const void *slot, int cpu, struct drain_ctx *ctx)
{
    const struct csteer_flow_slot *v = slot;
    if (v->counts.skbs == 0 || ctx->flow_count == ctx->flow_capacity)
        return;
    struct csteer_flow_row *r = &ctx->flows[ctx->flow_count++];
    r->key = v->flow;
    r->cpu = cpu; r->pad = 0;
    r->segments = v->counts.segments; r->skbs = v->counts.skbs; r->bytes = v->counts.bytes;
}

static void reader_row(const void *slot, int cpu, struct drain_ctx *ctx)
{
    const struct csteer_reader_slot *v = slot;
    if (v->counts.reads == 0 || ctx->reader_count == ctx->reader_capacity)
        return;
    struct csteer_reader_row *r = &ctx->readers[ctx->reader_count++];
    r->key = v->flow;
    r->cpu = cpu; r->pad = 0;
    r->value = v->counts;
}

// An array's regions of generation `gen`, one per CPU, in place: every claimed slot (its
// tag, the first 8 bytes, not 0) made a row, then cleared for the generation after next.
// The drained generation is not counted into, except by a program that loaded the old
// generation before the flip and was interrupted (a softirq, a stolen vCPU): what it adds
// to a cleared slot is not a claim, and the slot's next claim assigns its counts.
static void drain_slots(struct csteer_trace *t, int a, int gen, struct drain_ctx *ctx,
                        void (*row)(const void *slot, int cpu, struct drain_ctx *ctx))
{
    for (int cpu = 0; cpu < t->cpus; cpu++) {
        char *slot = region(t, a, cpu, gen);
        for (size_t i = 0; i < arrays[a].region; i++, slot += arrays[a].value_size) {
            if (*(const uint64_t *)slot == 0)
                continue;
            row(slot, cpu, ctx);
            memset(slot, 0, arrays[a].value_size);
        }
    }
}

void csteer_trace_drain(struct csteer_trace *t, int gen,
                        struct csteer_stage_row *stages, int stage_capacity, int *stage_count,
                        struct csteer_flow_row *flows, int flow_capacity, int *flow_count,
                        struct csteer_reader_row *readers, int reader_capacity, int *reader_count,
                        uint64_t lost[CSTEER_LOST_KINDS])
{
    gen = gen ? 1 : 0;
    struct drain_ctx ctx = {stages, stage_capacity, 0, flows, flow_capacity, 0, readers, reader_capacity, 0};
    drain_slots(t, STAGES, gen, &ctx, stage_row);
    drain_slots(t, FLOWS, gen, &ctx, flow_row);
    drain_slots(t, READERS, gen, &ctx, reader_row);
    for (int kind = 0; kind < CSTEER_LOST_KINDS; kind++)
        lost[kind] = 0;
    for (int cpu = 0; cpu < t->cpus; cpu++) {
        uint64_t *v = region(t, LOST, cpu, gen);
        for (int kind = 0; kind < CSTEER_LOST_KINDS; kind++) {
            lost[kind] += v[kind];
            v[kind] = 0;
        }
    }
    *stage_count = ctx.stage_count;
    *flow_count = ctx.flow_count;
    *reader_count = ctx.reader_count;
}
