#!/usr/bin/env bash
# benchmarks/stats.sh: `steertop stats` against its python peer on one realistic recording.
#
# Builds release, writes a ~200 MB sweep recording (steerbench stats-gen: 4 CPUs, 8
# interfaces with queues, one stream per replica, 5 modes x replicas 1,2,4,8,16 x many
# runs), runs `steertop stats --format json` and benchmarks/stats_peer.py on it (best of
# STATS_BENCH_REPEAT runs each, interleaved, page cache warm for both), checks that the
# two answers agree numerically, and prints both times and their ratio.
#
# Environment: STATS_BENCH_MB (200), STATS_BENCH_REPEAT (3), STATS_BENCH_DIR (a directory
# to keep the recording in and reuse; default a temporary one, removed afterwards).
# Exit: 0 agreed and steertop >= 5x faster; 1 the answers differ or a step failed;
# 3 agreed but the 5x target was missed (issue 12: every line is checked, escapes
# honoured, and stats stays 5x its peer).
set -euo pipefail
cd "$(dirname "$0")/.."

MB=${STATS_BENCH_MB:-200}
REPEAT=${STATS_BENCH_REPEAT:-3}
if [[ -n "${STATS_BENCH_DIR:-}" ]]; then
    WORK=$STATS_BENCH_DIR
    mkdir -p "$WORK"
else
    WORK=$(mktemp -d /tmp/steertop-stats-bench.XXXXXX)
    trap 'rm -rf "$WORK"' EXIT
fi
FILE=$WORK/sweep-${MB}mb.jsonl

echo "== building release"
swift build -c release --product steertop >/dev/null
swift build -c release --product steerbench >/dev/null
BIN=$(swift build -c release --show-bin-path)

if [[ ! -s "$FILE" ]]; then
    echo "== writing $FILE"
    "$BIN/steerbench" stats-gen "$FILE" --mb "$MB"
fi
SIZE=$(stat -c %s "$FILE")
cat "$FILE" >/dev/null  # the page cache, warm for both

now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print('%.3f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$2"; }

best_py=""; best_sw=""
for ((k = 1; k <= REPEAT; k++)); do
    a=$(now); python3 benchmarks/stats_peer.py "$FILE" >"$WORK/peer.json"; b=$(now)
    py=$(elapsed "$a" "$b")
    a=$(now); "$BIN/steertop" stats --format json "$FILE" >"$WORK/steertop.json" 2>"$WORK/steertop.err"; b=$(now)
    sw=$(elapsed "$a" "$b")
    echo "   run $k: python ${py} s, steertop ${sw} s"
    best_py=$(python3 -c "import sys; print(min(float(x) for x in sys.argv[1:] if x))" "$py" $best_py)
    best_sw=$(python3 -c "import sys; print(min(float(x) for x in sys.argv[1:] if x))" "$sw" $best_sw)
done

echo "== comparing the answers"
python3 - "$WORK/peer.json" "$WORK/steertop.json" <<'PY'
import json, sys
peer, ours = (json.load(open(p)) for p in sys.argv[1:3])
problems = []
def same(a, b, where):
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            problems.append("%s: keys %s vs %s" % (where, sorted(a), sorted(b)))
        for k in a:
            if k in b:
                same(a[k], b[k], where + "." + k)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            problems.append("%s: %d vs %d items" % (where, len(a), len(b)))
        for k, (x, y) in enumerate(zip(a, b)):
            same(x, y, "%s[%d]" % (where, k))
    elif isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        if abs(a - b) > 1e-9 * max(1.0, abs(a), abs(b)):
            problems.append("%s: %r vs %r" % (where, a, b))
    elif a != b:
        problems.append("%s: %r vs %r" % (where, a, b))
same(peer, ours, "")
groups = len(ours.get("groups", []))
runs = sum(g["runs"] for g in ours.get("groups", []))
if problems:
    print("   DISAGREE (%d differences); first ones:" % len(problems))
    for p in problems[:10]:
        print("     " + p)
    sys.exit(1)
print("   agree: %d groups, %d runs (relative tolerance 1e-9)" % (groups, runs))
PY

ratio=$(python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$best_py" "$best_sw")
echo "== results (best of $REPEAT)"
echo "   file:     $FILE ($((SIZE / 1000000)) MB, $SIZE bytes)"
echo "   python:   ${best_py} s  (benchmarks/stats_peer.py, $(python3 --version 2>&1))"
echo "   steertop: ${best_sw} s  (steertop stats --format json, release)"
echo "   ratio:    ${ratio}x"
if python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) >= 5 else 1)" "$ratio"; then
    echo "   target (steertop at least 5x faster): met"
else
    echo "   target (steertop at least 5x faster): MISSED"
    exit 3
fi
