#!/usr/bin/env bash
# Builds steertop's container image without Docker or a registry: an OCI image layout
# tarball that `ctr -n k8s.io images import` (or `skopeo copy oci-archive:…`) takes.
#
#   deploy/build-image.sh [OUT.tar]        (default .build/steertop-image.tar)
#   STEERTOP_IMAGE=registry.example/steertop:1 deploy/build-image.sh
#   STEERTOP_BINARY=.build/debug/steertop deploy/build-image.sh   (no release build; the tests)
#
# The image holds: the release binary (Swift's standard library linked in statically, so
# only libc, libstdc++ and ncursesw remain), containerd's `ctr` (pod names from the runtime),
# the shared libraries `ldd` lists for both, the terminfo entries of common terminals, and
# the themes. On a node: `ctr -n k8s.io images import steertop-image.tar`, then
# `kubectl apply -f deploy/steertop.yaml` (docs/deploy.md).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-.build/steertop-image.tar}
name=${STEERTOP_IMAGE:-steertop.local/steertop:1}

if [ -n "${STEERTOP_BINARY:-}" ]; then
    bin=$STEERTOP_BINARY
else
    swift build -c release --static-swift-stdlib --product steertop >&2
    bin="$(swift build -c release --static-swift-stdlib --show-bin-path)/steertop"
fi
ctr_bin=$(command -v ctr || true)
if [ -z "$ctr_bin" ]; then
    echo "build-image: ctr is not installed here (apt-get install containerd): the image would show pods by their netns names only" >&2
    exit 1
fi

args=(--name "$name" --out "$out"
      --file "$bin:/usr/local/bin/steertop" --libs-of "$bin"
      --file "$ctr_bin:/usr/local/bin/ctr" --libs-of "$ctr_bin"
      --entrypoint /usr/local/bin/steertop)
for t in xterm xterm-256color screen screen-256color tmux tmux-256color linux vt100 dumb; do
    for d in /lib/terminfo /usr/share/terminfo; do
        f="$d/${t:0:1}/$t"
        if [ -e "$f" ]; then args+=(--file "$f:/usr/share/terminfo/${t:0:1}/$t"); break; fi
    done
done
for f in themes/*; do args+=(--file "$f:/usr/share/steertop/$f"); done
python3 deploy/oci_image.py "${args[@]}"
echo "$out: $name ($(du -h "$out" | cut -f1))" >&2
