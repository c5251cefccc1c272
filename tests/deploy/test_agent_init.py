"""The agent DaemonSet's init container, for real: its shell commands, taken from the rendered chart,
run in a fresh network namespace (as on a node's host network) leave the link ``pod-id-link0`` up
with 169.254.170.23/32 and fd00:ec2::23/128, and running them again changes nothing."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from support.helm import container, render
from support.netns import AGENT_V4, AGENT_V6, netns_unavailable
from support.server import BIN

REASON = netns_unavailable()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")
LINK = "pod-id-link0"


@pytest.fixture
def netns() -> Iterator[str]:
    name = f"podid-init-{uuid.uuid4().hex[:6]}"
    subprocess.run(["ip", "netns", "add", name], check=True, timeout=10)
    subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True, timeout=10)  # as on a node
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False, timeout=10)


def init_command() -> list[str]:
    ds = render().get("DaemonSet", "podid-agent")
    return list(container(ds, "link-local", init=True)["command"])


def run_in(netns: str, argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", "netns", "exec", netns, *argv], capture_output=True, text=True, timeout=30,
                          check=False)


def link_state(netns: str) -> dict[str, Any]:
    done = subprocess.run(["ip", "-n", netns, "-j", "-d", "addr", "show", "dev", LINK], capture_output=True,
                          text=True, timeout=10, check=True)
    (link,) = json.loads(done.stdout)
    return dict(link)


def agent_addresses(link: dict[str, Any]) -> list[tuple[str, int]]:
    """The link's addresses but the kernel's own IPv6 link-local one (fe80::/64, on every link)."""
    return sorted((a["local"], a["prefixlen"]) for a in link["addr_info"]
                  if not a["local"].startswith("fe80:"))


def dummy_supported(netns: str) -> bool:
    """Whether this kernel has the dummy driver (else the script's veth fallback is what runs)."""
    made = subprocess.run(["ip", "-n", netns, "link", "add", "probe0", "type", "dummy"], capture_output=True,
                          timeout=10, check=False)
    if made.returncode == 0:
        subprocess.run(["ip", "-n", netns, "link", "del", "probe0"], check=True, timeout=10)
    return made.returncode == 0


def test_init_commands_add_both_addresses_and_are_idempotent(netns: str) -> None:
    command = init_command()
    expected_kind = "dummy" if dummy_supported(netns) else "veth"
    first = run_in(netns, command)
    assert first.returncode == 0, first.stderr
    link = link_state(netns)
    addresses = agent_addresses(link)
    assert addresses == sorted([(AGENT_V4, 32), (AGENT_V6, 128)])
    assert "UP" in link["flags"]
    assert link["linkinfo"]["info_kind"] == expected_kind
    v6 = next(a for a in link["addr_info"] if a["local"] == AGENT_V6)
    assert not v6.get("tentative"), v6          # nodad: usable at once, the agent binds it right away

    second = run_in(netns, command)
    assert second.returncode == 0, second.stderr
    again = link_state(netns)
    assert agent_addresses(again) == addresses
    assert again["ifindex"] == link["ifindex"]   # the same link, not a new one
    links = json.loads(subprocess.run(["ip", "-n", netns, "-j", "link"], capture_output=True, text=True,
                                      timeout=10, check=True).stdout)
    names = sorted(link["ifname"] for link in links)
    assert names == sorted(["lo", LINK] + ([f"{LINK}p"] if expected_kind == "veth" else []))


ROUND_TRIP = f"""
import socket
for fam, host in ((socket.AF_INET, {AGENT_V4!r}), (socket.AF_INET6, {AGENT_V6!r})):
    server = socket.socket(fam, socket.SOCK_STREAM)
    server.bind((host, 80)); server.listen()
    client = socket.create_connection((host, 80), timeout=5)
    peer, _ = server.accept(); client.sendall(b"ping"); assert peer.recv(4) == b"ping"
    for s in (client, peer, server): s.close()
print("served")
"""


def test_agent_addresses_serve_port_80_after_init(netns: str) -> None:
    assert run_in(netns, init_command()).returncode == 0
    done = run_in(netns, [str(BIN / "python"), "-c", ROUND_TRIP])
    assert done.returncode == 0 and done.stdout.strip() == "served", done.stderr


def test_without_the_init_step_the_addresses_do_not_serve(netns: str) -> None:
    done = run_in(netns, [str(BIN / "python"), "-c", ROUND_TRIP])
    assert done.returncode != 0 and "served" not in done.stdout
    assert "Errno" in done.stderr or "unreachable" in done.stderr.lower(), done.stderr
    host = subprocess.run(["ip", "-o", "addr"], capture_output=True, text=True, timeout=10, check=True).stdout
    assert AGENT_V4 not in host and AGENT_V6 not in host        # nothing leaked into the host's namespace
