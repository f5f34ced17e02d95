// A thin loader for steertop's BPF programs (bpf/steer_trace.bpf.c) over libbpf: open the
// object from memory, load and attach every program, flip the count generation, drain the
// maps, detach and close. Only what Swift cannot call well itself (libbpf's print callback
// is variadic; per-CPU values need the possible CPU count). SteerKit's Tracer is the only
// caller.
#ifndef CSTEER_TRACE_H
#define CSTEER_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "csteer_trace_types.h"

struct csteer_trace;

/// Opens the BPF object (`bytes`, `length`), loads it (CO-RE relocations against the
/// kernel's BTF) and attaches its programs. On failure returns a negative errno, writes
/// what failed (the program or step, and libbpf's last message) into `why`, and leaves
/// nothing loaded.
int csteer_trace_open(const void *bytes, size_t length, struct csteer_trace **out, char *why, size_t why_size);

/// Detaches every program and frees the maps; `t` may be NULL.
void csteer_trace_close(struct csteer_trace *t);

/// The number of possible CPUs (the length of a per-CPU value), from libbpf.
int csteer_trace_possible_cpus(void);

/// The ids of the loaded programs (for checking that none is left after close).
int csteer_trace_program_ids(struct csteer_trace *t, uint32_t *ids, int capacity);

/// Makes the programs count into the other generation; returns the one they counted
/// into until now (the one to drain). A store to mapped memory: no syscall, cannot fail.
int csteer_trace_flip(struct csteer_trace *t);

/// A device's packets on one CPU.
struct csteer_stage_row {
    uint32_t netns, ifindex, cpu, pad;
    uint64_t packets, bytes;
};

/// A flow's segments on one CPU.
struct csteer_flow_row {
    struct csteer_flow_key key;
    uint32_t cpu, pad;
    uint64_t segments, skbs, bytes;
};

/// A flow's reads on one CPU.
struct csteer_reader_row {
    struct csteer_flow_key key;
    uint32_t cpu, pad;
    struct csteer_reader_value value;
};

/// Reads and clears generation `gen` of the stage, flow and reader arrays and its
/// lost-event counters (summed over CPUs into lost[CSTEER_LOST_KINDS]), in place (the
/// arrays are mapped): rows only for claimed slots, through the pointers. A full row
/// buffer drops the rest. Memory reads and writes only: it cannot fail.
void csteer_trace_drain(struct csteer_trace *t, int gen,
                        struct csteer_stage_row *stages, int stage_capacity, int *stage_count,
                        struct csteer_flow_row *flows, int flow_capacity, int *flow_count,
                        struct csteer_reader_row *readers, int reader_capacity, int *reader_count,
                        uint64_t lost[CSTEER_LOST_KINDS]);

#endif
