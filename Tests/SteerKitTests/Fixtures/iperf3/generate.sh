#!/usr/bin/env bash
# Regenerates the real iperf3 fixtures of this folder by running iperf3 on loopback.
# Every iperf3 started here is killed by its pid on exit, even when a step fails.
# Usage: generate.sh [base-port]   (uses base-port .. base-port+9; default 5201)
set -u
cd "$(dirname "$0")"
BASE=${1:-5201}
HOST=127.0.0.1
PIDS=()

cleanup() {  # only this shell's own jobs that have not been reaped yet
    local live
    live=$(jobs -p)
    [ -n "$live" ] && kill $live 2>/dev/null
    sleep 0.3
    live=$(jobs -p)
    [ -n "$live" ] && kill -9 $live 2>/dev/null
    wait 2>/dev/null
}
trap cleanup EXIT INT TERM

# server PORT OUTFILE ARGS...: starts a server in the background, remembers its pid.
server() {
    local port=$1 out=$2; shift 2
    iperf3 -s -p "$port" "$@" >"$out" 2>&1 &
    PIDS+=($!)
    sleep 0.5
}

stop() {  # stop PID: ends one server we started (iperf3 prints nothing more on SIGTERM once idle)
    kill "$1" 2>/dev/null; wait "$1" 2>/dev/null
}

set -x
iperf3 --version | head -1 > VERSION

# One stream and four streams, each with its server (-1: one test, then exit).
server $BASE server-P1.txt --forceflush -i 1 -1
iperf3 -c $HOST -p $BASE -t 3 -P 1 --forceflush -i 1 > client-P1.txt
sleep 0.5
server $((BASE+1)) server-P4.txt --forceflush -i 1 -1
iperf3 -c $HOST -p $((BASE+1)) -t 3 -P 4 --forceflush -i 1 > client-P4.txt
sleep 0.5

# A long-running server across three tests in a row (1, 2, then 1 stream).
server $((BASE+2)) server-3tests.txt --forceflush -i 1
S3=${PIDS[-1]}
iperf3 -c $HOST -p $((BASE+2)) -t 2 -P 1 --forceflush -i 1 >/dev/null
iperf3 -c $HOST -p $((BASE+2)) -t 2 -P 2 --forceflush -i 1 >/dev/null
iperf3 -c $HOST -p $((BASE+2)) -t 2 -P 1 --forceflush -i 1 >/dev/null
sleep 0.5
stop "$S3"

# UDP at 100 Mbit/s.
server $((BASE+3)) udp-server.txt --forceflush -i 1 -1
iperf3 -c $HOST -p $((BASE+3)) -u -b 100M -t 3 --forceflush -i 1 > udp-client.txt
sleep 0.5

# Omitted first second.
server $((BASE+4)) /dev/null -1
iperf3 -c $HOST -p $((BASE+4)) -t 3 -O 1 --forceflush -i 1 > client-omit.txt
sleep 0.5

# JSON: a client's document, and a server's documents over two tests.
server $((BASE+5)) server-json.json -J
SJ=${PIDS[-1]}
iperf3 -c $HOST -p $((BASE+5)) -t 2 -P 2 -J > client-json.json
iperf3 -c $HOST -p $((BASE+5)) -t 2 -P 1 -J >/dev/null
sleep 0.5
stop "$SJ"

# Fixed units: client in Kbits (-f k), server in Mbits (-f m).
server $((BASE+6)) server-fm.txt --forceflush -i 1 -f m -1
iperf3 -c $HOST -p $((BASE+6)) -t 3 -f k --forceflush -i 1 > client-fk.txt
sleep 0.5

# Errors (iperf3 prints them on stderr, so stderr is kept with stdout here).
iperf3 -c $HOST -p $((BASE+9)) -t 1 --forceflush -i 1 > error-refused.txt 2>&1
server $((BASE+7)) /dev/null -1
iperf3 -c $HOST -p $((BASE+7)) -t 4 --forceflush -i 1 >/dev/null &
PIDS+=($!)
LONG=${PIDS[-1]}
sleep 1
iperf3 -c $HOST -p $((BASE+7)) -t 1 --forceflush -i 1 > error-busy.txt 2>&1
wait "$LONG"
set +x
echo done
