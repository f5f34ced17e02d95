#!/usr/bin/env bash
# benchmarks/replay.sh: replay through the index beside replay reading the whole recording,
# on one ~2 GB recording, in one run.
#
# Builds release, writes a ~2 GB sweep recording (steerbench stats-gen: 4 CPUs, 8 interfaces
# with queues, a day and more at 1 Hz), and runs `steerbench replay-seek` on it, each in a
# process of its own so that their memory does not mix:
#   whole   - replay as before the index: every line read and decoded, every sample kept
#   cold    - the index built (no .<name>.steerindex beside the file), then saved
#   warm    - the index read from that cache
# Each prints: the time until the first frame's data is ready (the recording opened and the
# first sample's history window decoded and taken by DashboardState.showHistory, as
# ReplayDashboard.prepareFrame does), resident memory (VmRSS) after the first frame, after
# G (the last sample's frame) and after N random / jumps, the peak (VmHWM), and the time of
# each jump's frame (mean, median, worst). The page cache is warm for all three (the file is
# read once before): "cold" means the index is built, not that the disk is read.
#
# Environment: REPLAY_BENCH_MB (2000), REPLAY_BENCH_JUMPS (100), REPLAY_BENCH_COMPRESS
# (none; zstd or gzip: the recording written compressed as `steertop record --compress`
# does, the size then that of its text), REPLAY_BENCH_DIR (a
# directory to keep the recording in and reuse; default a temporary one, removed afterwards:
# the file is 2 GB).
# Exit: 0 targets met (first frame < 1 s warm and < 15 s cold, RSS < 100 MB, jump < 50 ms);
# 1 a step failed; 3 a target was missed.
set -euo pipefail
cd "$(dirname "$0")/.."

MB=${REPLAY_BENCH_MB:-2000}
JUMPS=${REPLAY_BENCH_JUMPS:-100}
if [[ -n "${REPLAY_BENCH_DIR:-}" ]]; then
    WORK=$REPLAY_BENCH_DIR
    mkdir -p "$WORK"
else
    WORK=$(mktemp -d /tmp/steertop-replay-bench.XXXXXX)
    trap 'rm -rf "$WORK"' EXIT
fi
case "${REPLAY_BENCH_COMPRESS:-none}" in
    none) SUFFIX="" ;;
    zstd) SUFFIX=".zst" ;;
    gzip) SUFFIX=".gz" ;;
    *) echo "REPLAY_BENCH_COMPRESS must be none, zstd or gzip" >&2; exit 1 ;;
esac
FILE=$WORK/day-${MB}mb.jsonl$SUFFIX
INDEX=$WORK/.day-${MB}mb.jsonl$SUFFIX.steerindex

echo "== building release"
swift build -c release --product steerbench >/dev/null
BIN=$(swift build -c release --show-bin-path)

if [[ ! -s "$FILE" ]]; then
    echo "== writing $FILE"
    "$BIN/steerbench" stats-gen "$FILE" --mb "$MB"
fi
SIZE=$(stat -c %s "$FILE")
cat "$FILE" >/dev/null  # the page cache, warm for all

run() { "$BIN/steerbench" replay-seek "$FILE" --path "$1" --jumps "$JUMPS" --seed 7; }
rm -f "$INDEX"
echo "== whole file (as replay was)"; whole=$(run whole); echo "   $whole"
echo "== index, cold (built)";        cold=$(run indexed); echo "   $cold"
echo "== index, warm (from cache)";   warm=$(run indexed); echo "   $warm"
ISIZE=$(stat -c %s "$INDEX")

python3 - "$SIZE" "$ISIZE" "$whole" "$cold" "$warm" <<'PY'
import sys
size, isize = int(sys.argv[1]), int(sys.argv[2])
rows = [dict(kv.split("=", 1) for kv in line.split()) for line in sys.argv[3:6]]
names = ["whole", "cold", "warm"]
print("== results: %s MB recording file, %d samples; index %.1f MB" % (size // 1000000, int(rows[0]["samples"]), isize / 1e6))
print("   %-26s %12s %12s %12s" % ("", "whole file", "index cold", "index warm"))
for key, label in [("first_frame_s", "first frame (s)"), ("rss_first_mb", "RSS after first frame (MB)"),
                   ("rss_G_mb", "RSS after G (MB)"), ("rss_jumps_mb", "RSS after jumps (MB)"), ("hwm_mb", "peak RSS (MB)"),
                   ("jump_ms_mean", "jump mean (ms)"), ("jump_ms_p50", "jump median (ms)"), ("jump_ms_max", "jump worst (ms)")]:
    print("   %-26s %12s %12s %12s" % (label, rows[0][key], rows[1][key], rows[2][key]))
w, c, h = rows
print("   first frame: warm %.0fx, cold %.1fx faster than whole; RSS after jumps %.0fx smaller"
      % (float(w["first_frame_s"]) / max(float(h["first_frame_s"]), 1e-6), float(w["first_frame_s"]) / float(c["first_frame_s"]),
         float(w["rss_jumps_mb"]) / float(h["rss_jumps_mb"])))
missed = []
if float(h["first_frame_s"]) >= 1: missed.append("first frame warm < 1 s")
if float(c["first_frame_s"]) >= 15: missed.append("first frame cold < 15 s")
for r, n in ((c, "cold"), (h, "warm")):
    if max(float(r["rss_G_mb"]), float(r["rss_jumps_mb"])) >= 100: missed.append("RSS < 100 MB (%s)" % n)
    if float(r["jump_ms_max"]) >= 50: missed.append("jump < 50 ms (%s, worst)" % n)
if missed:
    print("   targets MISSED: " + ", ".join(missed)); sys.exit(3)
print("   targets (first frame < 1 s warm, < 15 s cold; RSS < 100 MB; jump < 50 ms): met")
PY
