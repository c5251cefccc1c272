"""An idle keep-alive connection to `podid up` outlives a client's pause between polls.

The Terraform AWS provider polls SQS every 5 s on one pooled connection (Go's transport keeps idle
connections 90 s); uvicorn's default closes idle connections after 5 s, so the poll raced the close.
"""

from __future__ import annotations

import http.client
import time

from support.server import PodidServer


def test_idle_connection_survives_a_six_second_pause(podid_server: PodidServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", podid_server.port, timeout=10)
    try:
        conn.request("GET", "/_podid/health")
        first = conn.getresponse()
        first.read()
        assert first.status == 200 and not first.will_close
        sock = conn.sock
        time.sleep(6)   # longer than uvicorn's default keep-alive (5 s)
        conn.request("GET", "/_podid/health")   # same socket: http.client reconnects only when closed
        assert conn.sock is sock
        second = conn.getresponse()
        second.read()
        assert second.status == 200
    finally:
        conn.close()
