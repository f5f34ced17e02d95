#!/usr/bin/env bash
# The observer effect of kernel tracing, in one run: the lab's total iperf3 throughput
# (4 pods, 4 streams: the lab's highest rate on this VM) with `steertop trace` running and
# without, in interleaved runs (off, on, on, off, ... so drift hits both alike); then
# steertop trace's own CPU over the traced runs beside `top -d 1 -b` started at the same
# moment (utime+stime from /proc/PID/stat, exec time from /proc/PID/schedstat).
# Targets: throughput loss under 3%; steertop trace's CPU below top's.
# Needs root (the lab, BPF). Usage: benchmarks/trace.sh [PAIRS] [SECONDS]   (default 4 8)
# Run it under `flock /tmp/steer-tests.lock` on a machine shared with other lab users.
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=${1:-4}
seconds=${2:-8}
[ "$(id -u)" = 0 ] || { echo "benchmarks/trace.sh: run it as root (the lab and BPF)" >&2; exit 1; }
config=${STEERTOP_BENCH_CONFIG:-release}
[ -n "${STEERTOP_BENCH_SKIP_BUILD:-}" ] || swift build -c "$config" --product steertop >/dev/null
bin=$PWD/.build/$config/steertop
export STEERTOP_STATE_DIR=$(mktemp -d /tmp/steertop-bench-XXXXXX)
out=$(mktemp -d /tmp/steertop-trace-bench-XXXXXX)
tracer=""; top=""
cleanup() {
    [ -n "$tracer" ] && kill "$tracer" 2>/dev/null || true
    [ -n "$top" ] && kill "$top" 2>/dev/null || true
    "$bin" lab down >/dev/null 2>&1 || true
    rm -rf "$STEERTOP_STATE_DIR" "$out"
}
trap cleanup EXIT
"$bin" lab up --pods 4 >/dev/null 2>&1
logs="$STEERTOP_STATE_DIR/lab/iperf3"

# Total receiver bitrate of the last run (Mbit/s), from the 4 clients' iperf3 summaries.
total() {
    awk '/receiver/ { for (i = 1; i < NF; i++) if ($(i + 1) == "Kbits/sec") s += $i } END { printf "%.0f", s / 1000 }' "$logs"/steer-client-pod*.log
}
cpu() {  # utime+stime ticks, exec ns
    awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
    awk '{ print $1 }' "/proc/$1/schedstat"
}
st=0; sn=0; tt=0; tn=0; traced=0
run() {  # $1 = on|off
    # top runs in both arms, so its own cost does not count against tracing.
    top -d 1 -b > /dev/null &
    top=$!
    if [ "$1" = on ]; then
        "$bin" trace --interval 1 > "$out/trace.txt" 2>&1 &
        tracer=$!
        # Wait until the tracer prints its first tick (its programs attached).
        for _ in $(seq 100); do [ -s "$out/trace.txt" ] && break; sleep 0.1; done
        read -r a0 b0 < <(cpu "$tracer" | paste -sd' ')
        read -r c0 d0 < <(cpu "$top" | paste -sd' ')
    fi
    "$bin" lab traffic --replicas 4 --duration "$seconds" >/dev/null 2>&1
    if [ "$1" = on ]; then
        read -r a1 b1 < <(cpu "$tracer" | paste -sd' ')
        read -r c1 d1 < <(cpu "$top" | paste -sd' ')
        st=$((st + a1 - a0)); sn=$((sn + b1 - b0)); tt=$((tt + c1 - c0)); tn=$((tn + d1 - d0))
        traced=$((traced + seconds))
        kill -INT "$tracer"; wait "$tracer" || true; tracer=""
        grep -q "devices" "$out/trace.txt" || { echo "steertop trace printed no tick:"; cat "$out/trace.txt"; exit 1; }
    fi
    kill "$top"; wait "$top" 2>/dev/null || true; top=""
    result=$(total)
}
on=(); off=()
for i in $(seq "$pairs"); do
    if [ $((i % 2)) = 1 ]; then
        run off; off+=("$result"); run on; on+=("$result")
    else
        run on; on+=("$result"); run off; off+=("$result")
    fi
done
echo "lab: 4 pods, 4 iperf3 streams, $pairs x 2 interleaved runs of $seconds s ($config build)"
echo "  tracing off (Mbit/s): ${off[*]}"
echo "  tracing on  (Mbit/s): ${on[*]}"
printf '%s\n' "${off[@]}" > "$out/off"; printf '%s\n' "${on[@]}" > "$out/on"
paste "$out/off" "$out/on" | awk '{ a += $1; b += $2; n++ } END {
    printf "  mean off %.0f Mbit/s, on %.0f Mbit/s: change %+.2f%% (target: loss < 3%%)\n", a / n, b / n, (b - a) / a * 100 }'
hz=$(getconf CLK_TCK)
echo "CPU over the $traced s traced (the same seconds for both):"
awk -v t="$st" -v ns="$sn" -v hz="$hz" -v s="$traced" \
    'BEGIN { printf "  steertop trace  utime+stime %.2f s   exec %.1f ms   %.3f%% of one core\n", t / hz, ns / 1e6, ns / 1e7 / s }'
awk -v t="$tt" -v ns="$tn" -v hz="$hz" -v s="$traced" \
    'BEGIN { printf "  top -d 1 -b     utime+stime %.2f s   exec %.1f ms   %.3f%% of one core\n", t / hz, ns / 1e6, ns / 1e7 / s }'
awk -v a="$sn" -v b="$tn" 'BEGIN { printf "  ratio steertop trace/top (exec time): %.2f (target < 1)\n", a / b }'
