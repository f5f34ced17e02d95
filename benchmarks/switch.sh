#!/usr/bin/env bash
# Mode switching time: the lab with 16 pods (3 kinds of node interface: eth1, vxlan.calico
# and 16 cali*; eth0 in each pod), switched round-robin through the five modes 50 times,
# each switch planned, written and read back in-process as `steertop apply` does. Prints
# the median and the worst switch. Target: median under 100 ms.
# Needs root. Usage: benchmarks/switch.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "benchmarks/switch.sh: run it as root (it builds the lab)" >&2; exit 1; }
swift build -c release >/dev/null
bin=.build/release
export STEERTOP_STATE_DIR=$(mktemp -d /tmp/steertop-bench-XXXXXX)
trap '"$bin/steertop" lab down >/dev/null; rm -rf "$STEERTOP_STATE_DIR"' EXIT
"$bin/steertop" lab up --pods 16 2>/dev/null
"$bin/steerbench" switch "${1:-50}"
