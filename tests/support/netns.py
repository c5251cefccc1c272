"""Linux network namespaces for the node-agent tests: a "node" and a "pod", wired as on a node.

``NodeAndPod`` builds, with ``ip`` (iproute2, root):

* a **node** namespace with the dummy interface ``pod-id-link0`` (a veth end where the kernel has
  no dummy driver) holding 169.254.170.23/32 and
  fd00:ec2::23/128 (what the eks-pod-identity-agent's init step adds on a real node);
* a **pod** namespace joined to the node by a veth pair (10.213.0.1/30 and fd00:213::1/64 on the
  node side, .2 / ::2 on the pod side) whose default routes point at the node, as a pod's network
  reaches its node's link-local agent.

Nothing in the host's namespace gets an address or a listener. Processes podid itself runs on the
host's loopback (``podid up``, ``podid broker``) are reached from inside a namespace through a
``LoopbackBridge``: a thread that listens on the *namespace's* 127.0.0.1 (the socket is created
after ``setns`` into it) and relays each connection to the host's 127.0.0.1 — loopback on both
ends, bounded by a stop flag and socket timeouts.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import socket
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

CLONE_NEWNET = 0x40000000
AGENT_V4 = "169.254.170.23"
AGENT_V6 = "fd00:ec2::23"
_LIBC = ctypes.CDLL("libc.so.6", use_errno=True)


def netns_unavailable() -> str | None:
    """Why namespaces cannot be made here (None when they can)."""
    if shutil.which("ip") is None:
        return "iproute2's `ip` is not installed (apt-get install iproute2)"
    if os.geteuid() != 0:
        return "network namespaces need root"
    probe = f"podid-probe-{uuid.uuid4().hex[:6]}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True, check=False)
    if made.returncode != 0:
        return f"`ip netns add` failed: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], check=False)
    return None


def _ip(*args: str, netns: str | None = None) -> None:
    argv = ["ip", *(["-n", netns] if netns else []), *args]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=10)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {done.stderr.strip()}")


def _setns(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        if _LIBC.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns({path})")
    finally:
        os.close(fd)


@dataclass
class LoopbackBridge:
    """Relay ``netns``'s 127.0.0.1:``port`` to the host's 127.0.0.1:``target`` (one thread per side)."""

    netns: str
    port: int
    target: int
    _stop: threading.Event = field(default_factory=threading.Event)
    _ready: threading.Event = field(default_factory=threading.Event)
    _error: list[BaseException] = field(default_factory=list)

    def start(self) -> LoopbackBridge:
        threading.Thread(target=self._serve, name=f"bridge-{self.port}", daemon=True).start()
        if not self._ready.wait(10):
            raise RuntimeError("bridge did not start")
        if self._error:
            raise RuntimeError(f"bridge failed: {self._error[0]}")
        return self

    def stop(self) -> None:
        self._stop.set()

    def _serve(self) -> None:
        host_ns = f"/proc/{os.getpid()}/task/{threading.get_native_id()}/ns/net"
        home = os.open(host_ns, os.O_RDONLY)
        try:
            _setns(f"/var/run/netns/{self.netns}")
            listener = socket.create_server(("127.0.0.1", self.port))
            if _LIBC.setns(home, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns(back)")
        except BaseException as exc:  # reported by start()
            self._error.append(exc)
            self._ready.set()
            return
        finally:
            os.close(home)
        self._ready.set()
        listener.settimeout(0.2)
        with listener:
            while not self._stop.is_set():
                try:
                    client, _ = listener.accept()
                except TimeoutError:
                    continue
                threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target), timeout=10)
        except OSError:
            client.close()
            return
        for src, dst in ((client, upstream), (upstream, client)):
            threading.Thread(target=_pipe, args=(src, dst, self._stop), daemon=True).start()


def _pipe(src: socket.socket, dst: socket.socket, stop: threading.Event) -> None:
    src.settimeout(0.5)
    try:
        while not stop.is_set():
            try:
                data = src.recv(65536)
            except TimeoutError:
                continue
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)


@dataclass
class NodeAndPod:
    """The two namespaces' names and how to run a command inside them."""

    node: str
    pod: str
    bridges: list[LoopbackBridge] = field(default_factory=list)

    def in_node(self) -> list[str]:
        return ["ip", "netns", "exec", self.node]

    def in_pod(self) -> list[str]:
        return ["ip", "netns", "exec", self.pod]

    def bridge(self, netns: str, port: int, target: int) -> LoopbackBridge:
        """``netns``'s 127.0.0.1:``port`` -> the host's 127.0.0.1:``target``."""
        bridge = LoopbackBridge(netns, port, target).start()
        self.bridges.append(bridge)
        return bridge


def _link_local_interface(netns: str) -> None:
    """``pod-id-link0``: a dummy interface, or where the kernel has no dummy driver (some VM
    kernels), one end of a veth pair kept inside the node namespace — either way an interface
    that only holds the agent's addresses."""
    try:
        _ip("link", "add", "pod-id-link0", "type", "dummy", netns=netns)
    except RuntimeError:
        _ip("link", "add", "pod-id-link0", "type", "veth", "peer", "name", "pod-id-link0p", netns=netns)
        _ip("link", "set", "pod-id-link0p", "up", netns=netns)


@contextlib.contextmanager
def node_and_pod(link_setup: Callable[[str], None] | None = None) -> Iterator[NodeAndPod]:
    """Make the node and pod namespaces (see the module docstring); delete them afterwards.

    ``link_setup(node_netns)``, when given, makes ``pod-id-link0`` and its two addresses instead
    (e.g. the Helm chart's init script)."""
    tag = uuid.uuid4().hex[:6]
    world = NodeAndPod(f"podid-node-{tag}", f"podid-pod-{tag}")
    veth_node, veth_pod = f"pidn{tag}", f"pidp{tag}"
    try:
        for ns in (world.node, world.pod):
            _ip("netns", "add", ns)
            _ip("link", "set", "lo", "up", netns=ns)
        if link_setup is not None:
            link_setup(world.node)
        else:
            _link_local_interface(world.node)
            _ip("addr", "add", f"{AGENT_V4}/32", "dev", "pod-id-link0", netns=world.node)
            _ip("addr", "add", f"{AGENT_V6}/128", "dev", "pod-id-link0", "nodad", netns=world.node)
            _ip("link", "set", "pod-id-link0", "up", netns=world.node)
        _ip("link", "add", veth_node, "netns", world.node, "type", "veth", "peer", "name", veth_pod,
            "netns", world.pod)
        for ns, dev, v4, v6 in ((world.node, veth_node, "10.213.0.1/30", "fd00:213::1/64"),
                                (world.pod, veth_pod, "10.213.0.2/30", "fd00:213::2/64")):
            _ip("addr", "add", v4, "dev", dev, netns=ns)
            _ip("addr", "add", v6, "dev", dev, "nodad", netns=ns)
            _ip("link", "set", dev, "up", netns=ns)
        _ip("route", "add", "default", "via", "10.213.0.1", netns=world.pod)
        _ip("-6", "route", "add", "default", "via", "fd00:213::1", netns=world.pod)
        yield world
    finally:
        for bridge in world.bridges:
            bridge.stop()
        for ns in (world.pod, world.node):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False, timeout=10)
