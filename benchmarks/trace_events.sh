#!/usr/bin/env bash
# What each of steertop's BPF programs costs per event, in the kernel: `steertop trace`
# on the lab (4 pods, 4 iperf3 streams) with kernel.bpf_stats_enabled=1, then
# run_time_ns / run_cnt of each program from `bpftool prog show`. Steadier than the
# throughput benchmark (benchmarks/trace.sh) on a shared VM: it counts only the
# programs' own time (bpf_stats adds two clock reads per event to every figure alike).
# Needs root. Usage: benchmarks/trace_events.sh [SECONDS]   (default 6)
# Run it under `flock /tmp/steer-tests.lock` on a machine shared with other lab users.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-6}
[ "$(id -u)" = 0 ] || { echo "benchmarks/trace_events.sh: run it as root (the lab and BPF)" >&2; exit 1; }
config=${STEERTOP_BENCH_CONFIG:-release}
[ -n "${STEERTOP_BENCH_SKIP_BUILD:-}" ] || swift build -c "$config" --product steertop >/dev/null
bin=$PWD/.build/$config/steertop
export STEERTOP_STATE_DIR=$(mktemp -d /tmp/steertop-bench-XXXXXX)
out=$(mktemp -d /tmp/steertop-trace-bench-XXXXXX)
stats_before=$(sysctl -n kernel.bpf_stats_enabled)
tracer=""
cleanup() {
    [ -n "$tracer" ] && kill "$tracer" 2>/dev/null || true
    sysctl -qw kernel.bpf_stats_enabled="$stats_before"
    "$bin" lab down >/dev/null 2>&1 || true
    rm -rf "$STEERTOP_STATE_DIR" "$out"
}
trap cleanup EXIT
"$bin" lab up --pods 4 >/dev/null 2>&1
sysctl -qw kernel.bpf_stats_enabled=1
"$bin" trace --interval 1 > "$out/trace.txt" 2>&1 &
tracer=$!
for _ in $(seq 100); do [ -s "$out/trace.txt" ] && break; sleep 0.1; done
"$bin" lab traffic --replicas 4 --duration "$seconds" > "$out/traffic.txt" 2>&1
bpftool -j prog show > "$out/progs.json"
kill -INT "$tracer"; wait "$tracer" || true; tracer=""
echo "lab: 4 pods, 4 iperf3 streams for $seconds s, steertop trace ($config build), kernel.bpf_stats_enabled=1"
python3 - "$out/progs.json" "$seconds" <<'PY'
import json, sys
progs = [p for p in json.load(open(sys.argv[1])) if p.get("name") in ("stage_receive", "flow_segment", "flow_read")]
seconds = float(sys.argv[2])
total = 0
for p in sorted(progs, key=lambda p: p["name"]):
    n, ns = p.get("run_cnt", 0), p.get("run_time_ns", 0)
    total += ns
    print("  %-14s %10d events  %6.0f ns/event  %8.1f ms" % (p["name"], n, ns / max(n, 1), ns / 1e6))
print("  all programs   %.1f ms of CPU in %.0f s: %.2f%% of one core" % (total / 1e6, seconds, total / 1e7 / seconds))
PY
grep -h "receiver" "$STEERTOP_STATE_DIR"/lab/iperf3/steer-client-pod*.log 2>/dev/null | awk '{ for (i = 1; i < NF; i++) if ($(i + 1) == "Kbits/sec") s += $i } END { printf "  total throughput %.2f Gbit/s\n", s / 1e6 }'
