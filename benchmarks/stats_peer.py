#!/usr/bin/env python3
"""The peer of `steertop stats --format json`, for benchmarks/stats.sh.

Plain python3 with only the standard library's json (plus math and sys): reads the same
recordings with the same definitions and prints the same JSON, so that the two can be
checked against each other and timed on the same file.

Definitions (as in Sources/SteerKit/Statistics/RunExtractor.swift):
- Runs are `run` start/end records (same run, mode and replicas); runs whose end says
  complete=false, or that never end, are left out. A file without run records is cut into
  stretches of one mode (baseline, rps, rps+, rfs, rfs+), broken by a `mode` record or a
  change of the samples' mode; a stretch starts at its mode record's t or one interval
  before its first sample, and a sample is kept when t - interval >= start + warm-up.
- A run's bitrate: the mean of its streams' `stream_end` bps (stamped in the open run,
  or inside / up to 10 s after the run that ended last); else the mean total_bps of its
  samples divided by max(replicas, 1). Stretches use their samples only.
- Per core: the mean %idle and %soft over the run's samples.
- A run's locality: its samples' flows with a locality, weighted by their segments/s.
- Per (replicas, mode): mean and t(0.975, n-1) s / sqrt(n); normalized = / baseline mean.

usage: stats_peer.py [--warmup S] FILE...
"""
import json
import math
import sys

MODES = ["baseline", "rps", "rps+", "rfs", "rfs+"]
GRACE = 10.0


# ---- Student's t -------------------------------------------------------------------

def beta_cf(x, a, b):
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1, a - 1
    c = 1.0
    d = 1 - qab * x / qap
    if abs(d) < tiny:
        d = tiny
    d = 1 / d
    h = d
    for m in range(1, 10001):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 + aa * d
        if abs(d) < tiny:
            d = tiny
        c = 1 + aa / c
        if abs(c) < tiny:
            c = tiny
        d = 1 / d
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 + aa * d
        if abs(d) < tiny:
            d = tiny
        c = 1 + aa / c
        if abs(c) < tiny:
            c = tiny
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-16:
            break
    return h


def inc_beta(x, a, b):
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return front * beta_cf(x, a, b) / a
    return 1 - front * beta_cf(1 - x, b, a) / b


def upper_tail(t, df):
    return 0.5 * inc_beta(df / (df + t * t), df / 2, 0.5)


_quantiles = {}


def t_quantile(p, df):
    key = (p, df)
    if key in _quantiles:
        return _quantiles[key]
    tail = 1 - p
    lo, hi = 0.0, 1.0
    while upper_tail(hi, df) > tail:
        lo, hi = hi, hi * 2
    for _ in range(200):
        mid = (lo + hi) / 2
        if mid <= lo or mid >= hi:
            break
        if upper_tail(mid, df) > tail:
            lo = mid
        else:
            hi = mid
    _quantiles[key] = (lo + hi) / 2
    return _quantiles[key]


def estimate(values):
    if not values:
        return None
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return {"mean": mean, "ci": None}
    s = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    return {"mean": mean, "ci": t_quantile(0.975, n - 1) * s / math.sqrt(n)}


# ---- runs ----------------------------------------------------------------------------

class Run:
    __slots__ = ("mode", "replicas", "run", "start", "end", "samples", "total_sum", "total_count",
                 "idle_sum", "idle_count", "soft_sum", "soft_count", "streams", "ids", "loc_sum", "loc_weight")

    def __init__(self, mode, replicas, run, start):
        self.mode, self.replicas, self.run, self.start, self.end = mode, replicas, run, start, start
        self.samples = 0
        self.total_sum = 0.0
        self.total_count = 0
        self.idle_sum, self.idle_count, self.soft_sum, self.soft_count = [], [], [], []
        self.streams = {}
        self.ids = set()
        self.loc_sum, self.loc_weight = 0.0, 0.0

    def add(self, rec, collect_ids):
        self.samples += 1
        self.end = rec.get("t", 0)
        total = rec.get("total_bps")
        if total is not None:
            self.total_sum += total
            self.total_count += 1
        for position, c in enumerate(rec.get("cpu") or ()):
            n = c.get("cpu", position)
            if n >= len(self.idle_sum):
                more = n + 1 - len(self.idle_sum)
                self.idle_sum += [0.0] * more
                self.idle_count += [0] * more
                self.soft_sum += [0.0] * more
                self.soft_count += [0] * more
            idle = c.get("idle")
            if idle is not None:
                self.idle_sum[n] += idle
                self.idle_count[n] += 1
            soft = c.get("soft")
            if soft is not None:
                self.soft_sum[n] += soft
                self.soft_count[n] += 1
        # Locality (recordings made with tracing): flows with one, weighted by segments.
        for f in rec.get("flows") or ():
            loc = f.get("locality")
            seg = sum(x for x in (f.get("segments") or ()) if x is not None)
            if loc is not None and 0 <= loc <= 1 and seg > 0:
                self.loc_sum += loc * seg
                self.loc_weight += seg
        if collect_ids:
            for s in rec.get("streams") or ():
                self.ids.add(s.get("id"))

    def summary(self, cpus):
        if self.streams:
            bitrate = sum(self.streams.values()) / len(self.streams)
        elif self.total_count:
            bitrate = self.total_sum / self.total_count / max(self.replicas, 1)
        else:
            bitrate = None
        idle = [self.idle_sum[k] / self.idle_count[k] if self.idle_count[k] else None for k in range(len(self.idle_sum))]
        soft = [self.soft_sum[k] / self.soft_count[k] if self.soft_count[k] else None for k in range(len(self.soft_sum))]
        locality = self.loc_sum / self.loc_weight if self.loc_weight > 0 else None
        return {"mode": self.mode, "replicas": self.replicas, "cpus": cpus, "bitrate": bitrate, "idle": idle, "soft": soft,
                "locality": locality}


def scan(path, warmup, problems):
    runs = []
    header = None
    used_run_records = False
    open_run = None
    last_closed = None
    last_bounds = None
    stretch = None
    stretch_mode = None
    pending_mode_t = None
    stretches = []
    interval = 1.0
    cpus = 0

    def close_stretch():
        nonlocal stretch
        if stretch is not None and stretch.samples:
            stretch.replicas = len(stretch.ids)
            stretches.append(stretch.summary(cpus))
        stretch = None

    with open(path, "rb") as f:
        for number, raw in enumerate(f, 1):
            terminated = raw.endswith(b"\n")
            line = raw[:-1] if terminated else raw
            if not line:
                continue
            try:
                rec = json.loads(line)
                if not isinstance(rec, dict) or not isinstance(rec.get("type"), str):
                    raise ValueError("not a recording line")
                typ = rec["type"]
                if typ == "run" and rec.get("event") not in ("start", "end"):
                    raise ValueError("run event must be start or end")
            except ValueError as e:
                if header is None:
                    sys.exit("stats_peer: %s is not a steertop recording" % path)
                if terminated:
                    problems.append("%s:%d: %s" % (path, number, e))
                continue
            if header is None:
                if typ != "header" or rec.get("format") != "steertop-recording":
                    sys.exit("stats_peer: %s is not a steertop recording" % path)
                header = rec
                interval = rec.get("interval_s") or 1.0
                if interval <= 0:
                    interval = 1.0
                cpus = rec.get("cpus", 0)
                continue
            t = rec.get("t", 0)
            if typ == "sample":
                if open_run is not None:
                    open_run.add(rec, False)
                if not used_run_records:
                    mode = rec.get("mode")
                    if mode not in MODES:
                        close_stretch()
                        continue
                    if stretch is None or stretch_mode != mode:
                        close_stretch()
                        start = pending_mode_t if pending_mode_t is not None else t - interval
                        pending_mode_t = None
                        stretch_mode = mode
                        stretch = Run(mode, 0, 0, start)
                    if t - interval >= stretch.start + warmup - 1e-9:
                        stretch.add(rec, True)
            elif typ == "run":
                if not used_run_records:
                    used_run_records = True
                    stretch = None
                    stretches = []
                mode = rec.get("mode", "")
                replicas = rec.get("replicas", 0)
                number_ = rec.get("run", 0)
                if rec["event"] == "start":
                    open_run = Run(mode, replicas, number_, t)
                    continue
                r = open_run
                if r is None or r.run != number_ or r.mode != mode or r.replicas != replicas:
                    continue
                open_run = None
                r.end = t
                if last_closed is not None:
                    runs.append(last_closed.summary(cpus))
                last_bounds = (r.start, t)
                last_closed = None if rec.get("complete") is False else r
            elif typ == "stream_end":
                bps = rec.get("bps")
                if bps is None:
                    continue
                if open_run is not None and t >= open_run.start:
                    open_run.streams[rec.get("id", "")] = bps
                elif last_bounds is not None and last_bounds[0] <= t <= last_bounds[1] + GRACE:
                    if last_closed is not None:
                        last_closed.streams[rec.get("id", "")] = bps
            elif typ == "mode":
                if not used_run_records:
                    close_stretch()
                    pending_mode_t = t
    if header is None:
        sys.exit("stats_peer: %s is empty" % path)
    if used_run_records:
        if last_closed is not None:
            runs.append(last_closed.summary(cpus))
        return runs, cpus
    close_stretch()
    return stretches, cpus


def rank(mode):
    return (MODES.index(mode) if mode in MODES else len(MODES), mode)


def main(argv):
    warmup = 5.0
    files = []
    k = 0
    while k < len(argv):
        if argv[k] == "--warmup":
            warmup = float(argv[k + 1])
            k += 2
        else:
            files.append(argv[k])
            k += 1
    problems = []
    runs = []
    cpu_counts = set()
    for path in files:
        these, cpus = scan(path, warmup, problems)
        runs += these
        cpu_counts.add(cpus)
    for p in problems[:3]:
        print(p, file=sys.stderr)
    by_group = {}
    for r in runs:
        by_group.setdefault((r["replicas"], r["mode"]), []).append(r)
    mixed = len(cpu_counts) > 1
    groups = []
    for key in sorted(by_group, key=lambda k: (k[0], rank(k[1]))):
        rs = by_group[key]
        cores = []
        for count in sorted({r["cpus"] for r in rs}):
            these = [r for r in rs if r["cpus"] == count]
            width = max(max(len(r["idle"]), len(r["soft"])) for r in these)
            for cpu in range(width):
                idle = estimate([r["idle"][cpu] for r in these if cpu < len(r["idle"]) and r["idle"][cpu] is not None])
                soft = estimate([r["soft"][cpu] for r in these if cpu < len(r["soft"]) and r["soft"][cpu] is not None])
                if idle is None and soft is None:
                    continue
                core = {"cpus": count} if mixed else {}
                core.update({"cpu": cpu, "idle": idle, "soft": soft})
                cores.append(core)
        groups.append({"replicas": key[0], "mode": key[1], "runs": len(rs),
                       "bitrate_bps": estimate([r["bitrate"] for r in rs if r["bitrate"] is not None]),
                       "normalized": None,
                       "locality": estimate([r["locality"] for r in rs if r["locality"] is not None]),
                       "cores": cores})
    baseline = {g["replicas"]: g["bitrate_bps"]["mean"] for g in groups
                if g["mode"] == "baseline" and g["bitrate_bps"] and g["bitrate_bps"]["mean"] > 0}
    for g in groups:
        base = baseline.get(g["replicas"])
        b = g["bitrate_bps"]
        if base and b:
            g["normalized"] = {"mean": b["mean"] / base, "ci": None if b["ci"] is None else b["ci"] / base}
    print(json.dumps({"groups": groups}, separators=(",", ":")))


if __name__ == "__main__":
    main(sys.argv[1:])
