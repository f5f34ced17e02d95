#!/usr/bin/env bash
# Mode switching on real pods: 16 pod sandboxes made through CRI by a containerd of this
# script's own (Tests/cri/kubelet.py acts as the kubelet: runc, the ptp CNI plugin, netns
# cni-*, sysfs read-only as runc leaves it) plus their 16 node-side veths, beside the lab
# with 16 pods, switched round-robin through the five modes, interleaved switch for switch
# in the same run; each planned, written and read back in-process as `steertop apply` does.
# Prints the median and worst of each. Target: median under 100 ms.
# Needs root and .ci/setup's packages. Usage: benchmarks/switch-pods.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "benchmarks/switch-pods.sh: run it as root (it starts containerd and builds the lab)" >&2; exit 1; }
swift build -c release >/dev/null
bin=.build/release
export STEERTOP_STATE_DIR=$(mktemp -d /tmp/steertop-bench-XXXXXX)
cri=""
cleanup() {
    "$bin/steertop" lab down >/dev/null 2>&1 || true
    [ -n "$cri" ] && python3 Tests/cri/kubelet.py down "$cri"
    rm -rf "$STEERTOP_STATE_DIR"
}
trap cleanup EXIT
cri=$(python3 Tests/cri/kubelet.py up --pods 16 | python3 -c 'import json,sys; print(json.load(sys.stdin)["dir"])')
"$bin/steertop" lab up --pods 16 2>/dev/null
"$bin/steerbench" switch-pods "${1:-50}"
