"""Human-readable reasons: AWS's access-denied message text for a decision.

Owns `denial_message`, worded as the IAM User Guide "Troubleshoot access denied error messages"
shows: "User: <principal> is not authorized to perform: <action> on resource: <resource>" followed
by "because no <policy type> allows the <action> action" (implicit deny) or "with an explicit deny
in a <policy type>" (explicit deny).
"""

from __future__ import annotations

from podid.iam.model import Decision, PolicyKind, Request

_IMPLICIT: dict[PolicyKind, str] = {
    "identity": "identity-based policy",
    "resource": "resource-based policy",
    "boundary": "permissions boundary",
    "session": "session policy",
    "scp": "service control policy",
    "rcp": "resource control policy",
}
_EXPLICIT: dict[PolicyKind, str] = {
    "identity": "an identity-based policy",
    "resource": "a resource-based policy",
    "boundary": "a permissions boundary",
    "session": "a session policy",
    "scp": "a service control policy",
    "rcp": "a resource control policy",
}


def denial_message(request: Request, decision: Decision) -> str:
    """AWS's AccessDenied message for a denied `decision` of `request` (ValueError if allowed)."""
    if decision.allowed:
        raise ValueError("decision is allowed; there is no denial message")
    head = (
        f"User: {request.principal} is not authorized to perform: {request.action} "
        f"on resource: {request.resource}"
    )
    kind = decision.denied_in
    if kind is None or kind == "trust":
        # sts:AssumeRole* denials carry no reason in AWS's message
        return head
    if decision.outcome == "explicit_deny":
        return f"{head} with an explicit deny in {_EXPLICIT[kind]}"
    return f"{head} because no {_IMPLICIT[kind]} allows the {request.action} action"
