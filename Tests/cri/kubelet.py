#!/usr/bin/env python3
"""The tests' stand-in for the kubelet: a containerd of their own, and pods made through CRI.

    kubelet.py up --pods N            starts containerd in a new /tmp/steer-cri-* folder, makes N
                                      pod sandboxes; prints {"dir", "socket", "pods": [...]} as JSON
    kubelet.py pod DIR NAME [--host]  one more sandbox (--host: host network and PID, as a DaemonSet)
    kubelet.py container DIR POD NAME IMAGE [--privileged] [--mount HOST:CTR[:rshared]] -- ARGS
    kubelet.py exec DIR CONTAINER -- ARGS   runs ARGS in a container (CRI ExecSync), with its output and exit code
    kubelet.py wait DIR CONTAINER      waits (up to 120 s) until the container exits; prints its exit code
    kubelet.py iperf3-image DIR        builds steer.test/iperf3:1 from this host's iperf3 and its libraries, imports it
    kubelet.py image DIR TARBALL      imports an OCI layout tarball into k8s.io
    kubelet.py rmpod DIR POD          stops and removes one sandbox
    kubelet.py down DIR               stops everything `up` started and removes the folder
    kubelet.py clean                  `down` for every /tmp/steer-cri-* folder left by a crashed run

Nothing here is Kubernetes: no kubelet, no API server. Pods are made as the kubelet makes
them (RunPodSandbox with its labels), so containerd, runc and the CNI plugins do what they
do on a node: /var/run/netns/cni-<uuid>, a veth pair, sysfs mounted read-only by runc.
"""
import argparse
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "deploy"))
import oci_image  # noqa: E402

import grpc  # noqa: E402
from cri_api.v1 import api_pb2 as cri  # noqa: E402
from cri_api.v1 import api_pb2_grpc as cri_grpc  # noqa: E402

PAUSE_IMAGE = "steer.test/pause:1"
POD_NAMESPACE = "steer-test"
CNI_BIN = "/usr/lib/cni"


def log(msg):
    print("kubelet.py: " + msg, file=sys.stderr, flush=True)


def wait_until(what, predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise SystemExit(f"kubelet.py: gave up after {seconds} s waiting for {what}")


def config(d):
    return f"""version = 2
root = "{d}/root"
state = "{d}/state"
[grpc]
  address = "{d}/containerd.sock"
[ttrpc]
  address = "{d}/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "{d}/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{PAUSE_IMAGE}"
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{CNI_BIN}"
    conf_dir = "{d}/cni"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
"""


def cni_conflist(d):
    return {
        "cniVersion": "1.0.0", "name": "steer-pods",
        "plugins": [{
            "type": "ptp", "ipMasq": False, "mtu": 1500,
            "ipam": {"type": "host-local", "dataDir": f"{d}/ipam",
                     "ranges": [[{"subnet": "198.18.0.0/24"}]], "routes": [{"dst": "198.18.0.0/15"}]},
        }],
    }


def socket(d):
    return f"{d}/containerd.sock"


def stub(d):
    return cri_grpc.RuntimeServiceStub(grpc.insecure_channel("unix://" + socket(d)))


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def containerd_pid(d):
    try:
        pid = int(open(f"{d}/containerd.pid").read())
    except (OSError, ValueError):
        return None
    try:
        cmd = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
    except OSError:
        return None
    return pid if f"{d}/config.toml".encode() in cmd else None


def start_containerd(d):
    logf = open(f"{d}/containerd.log", "ab")
    p = subprocess.Popen(["containerd", "--config", f"{d}/config.toml"], stdin=subprocess.DEVNULL,
                         stdout=logf, stderr=logf, start_new_session=True)
    open(f"{d}/containerd.pid", "w").write(str(p.pid))

    def ready():
        if p.poll() is not None:
            raise SystemExit(f"kubelet.py: containerd exited with {p.returncode}; see {d}/containerd.log")
        try:
            stub(d).Version(cri.VersionRequest(), timeout=1)
            return True
        except grpc.RpcError:
            return False
    wait_until("containerd's CRI socket", ready, 30)


def ctr(d, *args):
    return subprocess.run(["ctr", "-a", socket(d), "-n", "k8s.io", *args], check=True, capture_output=True, text=True)


def pause_image(d):
    subprocess.run(["gcc", "-static", "-O2", "-o", f"{d}/pause", f"{HERE}/pause.c"], check=True)
    oci_image.build(PAUSE_IMAGE, [(f"{d}/pause", "/pause")], ["/pause"], None, f"{d}/pause.tar")
    ctr(d, "images", "import", f"{d}/pause.tar")


def record_netns(d, netns):
    path = f"{d}/netns.json"
    known = json.load(open(path)) if os.path.exists(path) else []
    if netns and netns not in known:
        known.append(netns)
        json.dump(known, open(path, "w"))


def netns_of(d, pod_id):
    st = stub(d).PodSandboxStatus(cri.PodSandboxStatusRequest(pod_sandbox_id=pod_id, verbose=True), timeout=30)
    info = json.loads(st.info.get("info", "{}"))
    for ns in info.get("runtimeSpec", {}).get("linux", {}).get("namespaces", []):
        if ns.get("type") == "network" and ns.get("path"):
            return os.path.basename(ns["path"]), st, info.get("pid", 0)
    return "", st, info.get("pid", 0)


def run_pod(d, name, host=False):
    uid = str(uuid.uuid4())
    labels = {"io.kubernetes.pod.name": name, "io.kubernetes.pod.namespace": POD_NAMESPACE,
              "io.kubernetes.pod.uid": uid, "app": "steer-test"}
    mode = cri.NODE if host else cri.POD
    conf = cri.PodSandboxConfig(
        metadata=cri.PodSandboxMetadata(name=name, uid=uid, namespace=POD_NAMESPACE, attempt=0),
        hostname="" if host else name, log_directory=f"{d}/logs/{uid}", labels=labels,
        annotations={"kubernetes.io/config.source": "steertop-tests"},
        linux=cri.LinuxPodSandboxConfig(security_context=cri.LinuxSandboxSecurityContext(
            namespace_options=cri.NamespaceOption(network=mode, pid=mode, ipc=mode), privileged=host)))
    os.makedirs(f"{d}/logs/{uid}", exist_ok=True)
    pod_id = stub(d).RunPodSandbox(cri.RunPodSandboxRequest(config=conf), timeout=120).pod_sandbox_id
    json.dump({"config": conf.SerializeToString().hex()}, open(f"{d}/pod-{pod_id}.json", "w"))
    netns, st, pid = netns_of(d, pod_id)
    record_netns(d, netns)
    ip = st.status.network.ip if st.status.network else ""
    return {"id": pod_id, "name": name, "namespace": POD_NAMESPACE, "netns": netns, "ip": ip, "pid": pid}


def run_container(d, pod_id, name, image, args, privileged=False, mounts=(), env=()):
    conf_hex = json.load(open(f"{d}/pod-{pod_id}.json"))["config"]
    pod_conf = cri.PodSandboxConfig.FromString(bytes.fromhex(conf_hex))
    host = pod_conf.linux.security_context.namespace_options.network == cri.NODE
    mode = cri.NODE if host else cri.POD
    ms = []
    for m in mounts:
        parts = m.split(":")
        prop = cri.PROPAGATION_HOST_TO_CONTAINER if len(parts) > 2 and parts[2] == "rslave" else cri.PROPAGATION_PRIVATE
        ms.append(cri.Mount(host_path=parts[0], container_path=parts[1], propagation=prop))
    conf = cri.ContainerConfig(
        metadata=cri.ContainerMetadata(name=name, attempt=0), image=cri.ImageSpec(image=image),
        command=args[:1], args=args[1:], log_path=f"{name}.log", mounts=ms,
        envs=[cri.KeyValue(key=e.split("=", 1)[0], value=e.split("=", 1)[1]) for e in env],
        labels={"io.kubernetes.container.name": name},
        linux=cri.LinuxContainerConfig(security_context=cri.LinuxContainerSecurityContext(
            privileged=privileged, namespace_options=cri.NamespaceOption(network=mode, pid=mode, ipc=mode))))
    s = stub(d)
    cid = s.CreateContainer(cri.CreateContainerRequest(pod_sandbox_id=pod_id, config=conf, sandbox_config=pod_conf), timeout=120).container_id
    s.StartContainer(cri.StartContainerRequest(container_id=cid), timeout=120)
    return {"id": cid, "log": f"{pod_conf.log_directory}/{name}.log"}


def exec_sync(d, cid, args):
    r = stub(d).ExecSync(cri.ExecSyncRequest(container_id=cid, cmd=args, timeout=120), timeout=150)
    sys.stdout.buffer.write(r.stdout)
    sys.stderr.buffer.write(r.stderr)
    return r.exit_code


def wait_exit(d, cid, seconds=120):
    s = stub(d)
    status = {}

    def exited():
        st = s.ContainerStatus(cri.ContainerStatusRequest(container_id=cid), timeout=30).status
        status["code"] = st.exit_code
        return st.state == cri.CONTAINER_EXITED
    wait_until(f"container {cid[:12]} to exit", exited, seconds)
    return status["code"]


IPERF3_IMAGE = "steer.test/iperf3:1"


def iperf3_image(d):
    """iperf3 as a container image: this host's binary and the libraries ldd lists."""
    binary = shutil.which("iperf3")
    if not binary:
        raise SystemExit("kubelet.py: iperf3 is not installed (apt-get install iperf3)")
    files = [(binary, "/usr/bin/iperf3")] + [(lib, lib) for lib in oci_image.libraries(binary)]
    oci_image.build(IPERF3_IMAGE, files, ["/usr/bin/iperf3"], None, f"{d}/iperf3.tar", dirs=["/tmp"])
    ctr(d, "images", "import", f"{d}/iperf3.tar")


def remove_pod(d, pod_id):
    s = stub(d)
    s.StopPodSandbox(cri.StopPodSandboxRequest(pod_sandbox_id=pod_id), timeout=120)
    s.RemovePodSandbox(cri.RemovePodSandboxRequest(pod_sandbox_id=pod_id), timeout=120)


def unmount_under(d):
    """Unmounts (lazily, deepest first) whatever is still mounted under `d`."""
    points = []
    for line in open("/proc/self/mountinfo"):
        mp = line.split()[4].encode().decode("unicode_escape")
        if mp == d or mp.startswith(d + "/"):
            points.append(mp)
    for mp in sorted(points, key=len, reverse=True):
        subprocess.run(["umount", "-l", mp], capture_output=True)


def down(d):
    if not os.path.exists(f"{d}/config.toml"):
        shutil.rmtree(d, ignore_errors=True)
        return
    pid = containerd_pid(d)
    if pid is None:
        try:  # a crashed run: start its containerd again so that CRI takes its pods down
            start_containerd(d)
            pid = containerd_pid(d)
        except SystemExit as e:
            log(str(e))
    if pid is not None:
        try:
            for p in stub(d).ListPodSandbox(cri.ListPodSandboxRequest(), timeout=30).items:
                try:
                    remove_pod(d, p.id)
                except grpc.RpcError as e:
                    log(f"removing pod {p.id}: {e.details()}")
        except grpc.RpcError as e:
            log(f"listing pods: {e.details()}")
        os.kill(pid, signal.SIGTERM)
        try:
            wait_until("containerd to exit", lambda: not alive(pid), 20)
        except SystemExit:
            os.kill(pid, signal.SIGKILL)
    # What CRI could not take down: tasks' processes, shims, mounts, namespaces.
    for pidfile in glob.glob(f"{d}/state/io.containerd.runtime.v2.task/*/*/init.pid"):
        try:
            os.kill(int(open(pidfile).read()), signal.SIGKILL)
        except (OSError, ValueError):
            pass
    for proc in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            if socket(d).encode() in open(proc, "rb").read():
                os.kill(int(proc.split("/")[2]), signal.SIGKILL)
        except (OSError, ValueError):
            pass
    unmount_under(d)
    if os.path.exists(f"{d}/netns.json"):
        for ns in json.load(open(f"{d}/netns.json")):
            if os.path.exists(f"/var/run/netns/{ns}"):
                subprocess.run(["ip", "netns", "delete", ns], capture_output=True)
    if os.path.exists(f"{d}/ip_forward"):
        open("/proc/sys/net/ipv4/ip_forward", "w").write(open(f"{d}/ip_forward").read())
    shutil.rmtree(d, ignore_errors=True)


def clean():
    for d in glob.glob("/tmp/steer-cri-*"):
        log(f"removing what a crashed run left: {d}")
        down(d)


def shared_netns_dir():
    """/run/netns as a shared mount, as on a node (systemd makes / shared) and as
    `ip netns add` leaves it: a DaemonSet's HostToContainer mount of it needs that."""
    os.makedirs("/run/netns", exist_ok=True)
    prop = subprocess.run(["findmnt", "-n", "-o", "PROPAGATION", "--mountpoint", "/run/netns"], capture_output=True, text=True)
    if prop.returncode != 0:
        subprocess.run(["mount", "--bind", "/run/netns", "/run/netns"], check=True)
    if "shared" not in prop.stdout:
        subprocess.run(["mount", "--make-shared", "/run/netns"], check=True)


def up(n, prefix):
    clean()
    shared_netns_dir()
    d = tempfile.mkdtemp(prefix="steer-cri-", dir="/tmp")
    try:
        open(f"{d}/config.toml", "w").write(config(d))
        open(f"{d}/ip_forward", "w").write(open("/proc/sys/net/ipv4/ip_forward").read())
        os.makedirs(f"{d}/cni")
        json.dump(cni_conflist(d), open(f"{d}/cni/10-steer.conflist", "w"))
        start_containerd(d)
        pause_image(d)
        pods = [run_pod(d, f"{prefix}{k}") for k in range(1, n + 1)]
        print(json.dumps({"dir": d, "socket": socket(d), "pods": pods}))
    except BaseException:
        down(d)
        raise


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    u = sub.add_parser("up"); u.add_argument("--pods", type=int, default=2); u.add_argument("--prefix", default="pod")
    q = sub.add_parser("pod"); q.add_argument("dir"); q.add_argument("name"); q.add_argument("--host", action="store_true")
    c = sub.add_parser("container"); c.add_argument("dir"); c.add_argument("pod"); c.add_argument("name"); c.add_argument("image")
    c.add_argument("--privileged", action="store_true"); c.add_argument("--mount", action="append", default=[])
    c.add_argument("--env", action="append", default=[])
    c.add_argument("args", nargs="+")
    x = sub.add_parser("exec"); x.add_argument("dir"); x.add_argument("container"); x.add_argument("args", nargs="+")
    t = sub.add_parser("wait"); t.add_argument("dir"); t.add_argument("container")
    f = sub.add_parser("iperf3-image"); f.add_argument("dir")
    i = sub.add_parser("image"); i.add_argument("dir"); i.add_argument("tarball")
    r = sub.add_parser("rmpod"); r.add_argument("dir"); r.add_argument("pod")
    w = sub.add_parser("down"); w.add_argument("dir")
    sub.add_parser("clean")
    a = p.parse_args()
    try:
        if a.cmd == "up":
            up(a.pods, a.prefix)
        elif a.cmd == "pod":
            print(json.dumps(run_pod(a.dir, a.name, a.host)))
        elif a.cmd == "container":
            print(json.dumps(run_container(a.dir, a.pod, a.name, a.image, a.args, a.privileged, a.mount, a.env)))
        elif a.cmd == "wait":
            print(wait_exit(a.dir, a.container))
        elif a.cmd == "iperf3-image":
            iperf3_image(a.dir)
        elif a.cmd == "exec":
            sys.exit(exec_sync(a.dir, a.container, a.args))
        elif a.cmd == "image":
            ctr(a.dir, "images", "import", a.tarball)
        elif a.cmd == "rmpod":
            remove_pod(a.dir, a.pod)
        elif a.cmd == "down":
            down(a.dir)
        elif a.cmd == "clean":
            clean()
    except grpc.RpcError as e:
        sys.exit(f"kubelet.py {a.cmd}: {e.code().name}: {e.details()}")
    except subprocess.CalledProcessError as e:
        sys.exit(f"kubelet.py {a.cmd}: {' '.join(e.cmd)} exited with {e.returncode}: {(e.stderr or '').strip()}")


if __name__ == "__main__":
    main()
