#!/usr/bin/env bash
# The recorder's cost beside mpstat's, in the same run: `steertop record` at 1 Hz for 30 s
# watching 20 interfaces in 4 network namespaces (two veth pairs and lo in each), and
# `mpstat -P ALL 1 30` logging to a file (as the paper's scripts kept mpstat logs). Prints both CPU times (utime+stime from /proc/PID/stat, and the
# scheduler's exec time from /proc/PID/schedstat) and their ratio; "steady" leaves out
# the first 1.5 s (process start-up) and is the cost of the ticks themselves. Then the
# floor: the same kernel reads in C without parsing (benchmarks/recorder_floor.c).
# Needs root. Usage: benchmarks/recorder.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
[ "$(id -u)" = 0 ] || { echo "benchmarks/recorder.sh: run it as root (it creates network namespaces)" >&2; exit 1; }
command -v mpstat >/dev/null || { apt-get install -y -qq sysstat >/dev/null || { echo "needs mpstat (apt-get install sysstat)" >&2; exit 1; }; }
swift build -c release >/dev/null
bin=.build/release
tmp=$(mktemp -d /tmp/steertop-bench-XXXXXX)
cleanup() {
    for i in 1 2 3 4; do ip netns del "steer-bench-$i" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT
for i in 1 2 3 4; do
    ns="steer-bench-$i"
    ip netns add "$ns"
    ip -n "$ns" link add steer-a1 type veth peer name steer-b1
    ip -n "$ns" link add steer-a2 type veth peer name steer-b2
    for l in lo steer-a1 steer-b1 steer-a2 steer-b2; do ip -n "$ns" link set "$l" up; done
done
echo "recorder: $seconds s at 1 Hz, 20 interfaces in 4 namespaces (plus the host's), beside mpstat -P ALL 1 $seconds"
"$bin/steerbench" cpu-race --warmup 1.5 \
    -- "$bin/steertop" record --host --netns 'steer-bench-*' --pod-iface '*' --interval 1 --duration "$seconds" --out "$tmp/rec.jsonl" \
    -- mpstat -P ALL 1 "$seconds" ">$tmp/mpstat.log"
# The floor: the same reads and a line of the same size, in C with no parsing, beside mpstat.
if command -v gcc >/dev/null; then
    gcc -O2 -o "$tmp/floor" benchmarks/recorder_floor.c
    echo
    echo "floor: the same kernel reads and a 3.7 KB line in C (benchmarks/recorder_floor.c), beside mpstat"
    "$bin/steerbench" cpu-race --warmup 1.5 -- "$tmp/floor" "$seconds" "$tmp/floor.out" -- mpstat -P ALL 1 "$seconds" ">$tmp/mpstat2.log"
fi
lines=$(wc -l < "$tmp/rec.jsonl")
ifaces=$(tail -1 "$tmp/rec.jsonl" | grep -o '"name"' | wc -l)
echo "the recording has $lines lines; its last sample has $ifaces interfaces"
