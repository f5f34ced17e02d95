#!/usr/bin/env bash
# Compressed recordings: bytes per sample and the recorder's CPU with compression beside
# without, in the same run.
#
# 1. `steerbench compress 600 110`: ten minutes at 1 Hz of a generated node with 110 pods
#    (16 CPUs, 222 interfaces, 110 streams; ~32 KB a sample, as issue 12 measured), each
#    sample written to a plain, a zstd and a gzip recording in turn in one loop: KB per
#    sample, the ratio to plain, and each writer's CPU per tick (encode + compress + write).
# 2. `steertop record` on this host for SECONDS s at 1 Hz, plain beside .jsonl.zst, run
#    together (steerbench cpu-race): the whole recorder's CPU per tick, sampling included.
# The target: compression at most 1.5x the recorder's CPU per tick without it.
# Usage: benchmarks/compress.sh [SECONDS]   (root is not needed)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
swift build -c release --product steertop >/dev/null
swift build -c release --product steerbench >/dev/null
bin=.build/release
tmp=$(mktemp -d /tmp/steertop-compress-bench-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$bin/steerbench" compress 600 110
echo
echo "recorder on this host: $seconds s at 1 Hz, zstd (first) beside plain (second)"
"$bin/steerbench" cpu-race --warmup 1.5 \
    -- "$bin/steertop" record --host --interval 1 --duration "$seconds" --out "$tmp/packed.jsonl.zst" \
    -- "$bin/steertop" record --host --interval 1 --duration "$seconds" --out "$tmp/plain.jsonl"
p=$(stat -c %s "$tmp/plain.jsonl"); z=$(stat -c %s "$tmp/packed.jsonl.zst")
echo "files: plain $p bytes, zstd $z bytes ($(python3 -c "print(f'{$p/$z:.1f}')")x smaller)"
