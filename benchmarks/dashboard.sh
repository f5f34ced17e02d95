#!/usr/bin/env bash
# The live dashboard's cost beside top's, in the same run: `steertop` at 1 Hz for 60 s in
# a 120x40 tmux window on the lab (8 pods, 8 iperf3 streams running), and `top -d 1` in
# another window of the same size. Prints each one's CPU time over the 60 s (utime+stime
# from /proc/PID/stat, and exec time from /proc/PID/schedstat) as a share of one core.
# Targets: under 0.5% of one core, and less than top. Bytes sent to the terminal a second
# (tmux pipe-pane), steertop's beside `htop -d 10` (1 s) in a third window of the same
# size: target below htop's. Then the frame benchmark.
# Needs root (the lab) and htop. Usage: benchmarks/dashboard.sh [SECONDS] [STREAMS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
streams=${2:-8}
[ "$(id -u)" = 0 ] || { echo "benchmarks/dashboard.sh: run it as root (it builds the lab)" >&2; exit 1; }
command -v htop >/dev/null || { echo "benchmarks/dashboard.sh: needs htop (apt-get install htop)" >&2; exit 1; }
swift build -c release >/dev/null
bin=$PWD/.build/release
export STEERTOP_STATE_DIR=$(mktemp -d /tmp/steertop-bench-XXXXXX)
bytes=$STEERTOP_STATE_DIR/bytes
sock=steertop-bench-$$
cleanup() {
    tmux -L "$sock" kill-server 2>/dev/null || true
    "$bin/steertop" lab down >/dev/null
    rm -rf "$STEERTOP_STATE_DIR"
}
trap cleanup EXIT
"$bin/steertop" lab up --pods 8 2>/dev/null
tmux -L "$sock" -f /dev/null new-session -d -s dash -x 120 -y 40 -e STEERTOP_STATE_DIR="$STEERTOP_STATE_DIR" "$bin/steertop" --traffic "$streams"
tmux -L "$sock" new-window -d -t dash -n top "top -d 1"
tmux -L "$sock" new-window -d -t dash -n htop "htop -d 10"
sleep 3
mkdir -p "$bytes"
tmux -L "$sock" pipe-pane -o -t dash:0 "cat > $bytes/steertop"
tmux -L "$sock" pipe-pane -o -t dash:htop "cat > $bytes/htop"
dash=$(tmux -L "$sock" display-message -p -t dash:0 '#{pane_pid}')
top=$(tmux -L "$sock" display-message -p -t dash:top '#{pane_pid}')
cpu() {  # utime+stime ticks, exec ns
    awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
    awk '{ print $1 }' "/proc/$1/schedstat"
}
read -r d0t d0n < <(cpu "$dash" | paste -sd' ')
read -r t0t t0n < <(cpu "$top" | paste -sd' ')
sleep "$seconds"
read -r d1t d1n < <(cpu "$dash" | paste -sd' ')
read -r t1t t1n < <(cpu "$top" | paste -sd' ')
hz=$(getconf CLK_TCK)
echo "over $seconds s at 1 Hz, 120x40, lab with 8 pods and $streams streams:"
awk -v n="steertop" -v t=$((d1t - d0t)) -v ns=$((d1n - d0n)) -v hz="$hz" -v s="$seconds" \
    'BEGIN { printf "  %-9s utime+stime %.2f s   exec %.1f ms   %.3f%% of one core\n", n, t / hz, ns / 1e6, ns / 1e7 / s }'
awk -v n="top -d 1" -v t=$((t1t - t0t)) -v ns=$((t1n - t0n)) -v hz="$hz" -v s="$seconds" \
    'BEGIN { printf "  %-9s utime+stime %.2f s   exec %.1f ms   %.3f%% of one core\n", n, t / hz, ns / 1e6, ns / 1e7 / s }'
awk -v a=$((d1n - d0n)) -v b=$((t1n - t0n)) 'BEGIN { printf "  ratio steertop/top (exec time): %.2f\n", a / b }'
tmux -L "$sock" pipe-pane -t dash:0
tmux -L "$sock" pipe-pane -t dash:htop
sb=$(stat -c %s "$bytes/steertop"); hb=$(stat -c %s "$bytes/htop")
awk -v a="$sb" -v b="$hb" -v s="$seconds" 'BEGIN { printf "  bytes to the terminal: steertop %.0f B/s, htop -d 10 %.0f B/s, ratio %.2f\n", a / s, b / s, a / b }'
tmux -L "$sock" send-keys -t dash:0 q
"$bin/steerbench" render --frames 1000 --size 200x60 | tail -3
