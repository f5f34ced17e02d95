#!/usr/bin/env python3
"""Turns a serial log of capture.sh back into the captured files.

    extract.py LOG OUTDIR SET=FOLDER...

e.g. extract.py serial-96cpu.log ../ base=qemu-debian12-6.1.192-96cpu \
         cpu5-offline=qemu-debian12-6.1.192-96cpu-cpu5-offline

The serial console turns each "\n" into "\r\n"; the only change made here is to drop the
"\r" that precedes a "\n" (the kernel files hold no "\r"). Every file's size and md5, as
/init printed them before the file, must match, or nothing is written.
"""
import hashlib, os, re, sys

log, outdir, *sets = sys.argv[1:]
folders = dict(s.split("=", 1) for s in sets)
data = open(log, "rb").read().replace(b"\r\n", b"\n")
begin = re.compile(rb"=====BEGIN (\S+) (\d+) ([0-9a-f]{32})=====\n")
files = []
for m in begin.finditer(data):
    name, size, md5 = m.group(1).decode(), int(m.group(2)), m.group(3).decode()
    end = data.index(b"=====END " + m.group(1) + b"=====", m.end())
    body = data[m.end():end]
    if len(body) != size or hashlib.md5(body).hexdigest() != md5:
        sys.exit(f"{name}: {len(body)} bytes, md5 {hashlib.md5(body).hexdigest()}; /init said {size} {md5}")
    if b"\r" in body:
        sys.exit(f"{name}: a \\r is left")
    files.append((name, body))
if not files:
    sys.exit("no files in the log")
for name, body in files:
    set_name, rel = name.split("/", 1)
    if set_name not in folders:
        continue
    path = os.path.join(outdir, folders[set_name], rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(body)
    print(f"{path}: {len(body)} bytes, md5 ok")
