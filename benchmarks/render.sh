#!/bin/sh
# Dashboard rendering cost: builds release, renders a dashboard of 96 CPUs and
# 40 interfaces x 4 rx queues (8 streams, 600 ticks of history) FRAMES times at
# 80x24, 120x40 and 200x60 into a Buffer and prints the mean time per frame (and
# the renderer's diff of two alternating frames); then counts the instructions of
# one frame with callgrind (deterministic, unlike the time on a shared machine).
#
#   benchmarks/render.sh            FRAMES=1000 by default; CALLGRIND_FRAMES=100
set -eu
cd "$(dirname "$0")/.."
FRAMES=${FRAMES:-1000}
CALLGRIND_FRAMES=${CALLGRIND_FRAMES:-100}

swift build -c release --product steerbench >/dev/null
BIN=$(swift build -c release --show-bin-path)/steerbench
"$BIN" render --frames "$FRAMES"

if ! command -v valgrind >/dev/null 2>&1; then
    echo "valgrind not installed: no instruction counts"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# valgrind 3.19 cannot read the DWARF 5 debug info of Swift 6 binaries and gives up;
# a copy without debug info keeps the symbol table, which is all callgrind needs here.
objcopy --strip-debug "$BIN" "$tmp/steerbench"
for size in 80x24 120x40 200x60; do
    # Count only inside callgrindFrame (one frame into the buffer).
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$size" --toggle-collect='*callgrindFrame*' \
        "$tmp/steerbench" render --size "$size" --frames "$CALLGRIND_FRAMES" >/dev/null 2>"$tmp/log.$size" || {
        cat "$tmp/log.$size"
        exit 1
    }
    total=$(sed -n 's/^totals: //p' "$tmp/cg.$size")
    echo "callgrind render $size: $((total / CALLGRIND_FRAMES)) instructions per frame"
done
