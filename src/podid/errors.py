"""The one exception type every package raises for AWS-shaped errors (the bottom of the import graph).

A :class:`ServiceError` carries the AWS error code (``AccessDenied``, ``NoSuchEntity``...), the
message AWS would print, the HTTP status and whether the fault is the sender's (query protocol
``<Type>Sender</Type>`` vs ``Receiver``). :mod:`podid.protocol` serialises it in the wire shape of
the service that was called; nothing else knows about XML or JSON. This module imports nothing,
so any package can raise an AWS error without depending on the gateway.
"""

from __future__ import annotations


class ServiceError(Exception):
    """An AWS API error: ``code``, ``message``, HTTP ``status``, ``sender_fault``.

    Two JSON/CBOR details, for errors AWS's front end (not the service) prints: ``wire_type``, the
    ``__type`` where it is namespaced (``com.amazon.coral.service#...``), and ``message_member``,
    the body member holding the message where it is not the protocol's ``message`` (``Message``).
    """

    def __init__(self, code: str, message: str, status: int = 400, sender_fault: bool = True,
                 wire_type: str | None = None, message_member: str | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.sender_fault = sender_fault
        self.wire_type = wire_type
        self.message_member = message_member

    def __repr__(self) -> str:
        return f"ServiceError({self.code!r}, {self.message!r}, {self.status})"
