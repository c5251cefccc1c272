"""Four extra IAM cases replayed live with their real names, which the peer-accuracy tool cannot do.

The tool's per-case renaming rewrites what these cases test (``lab-bucket*`` → ``lab-bucket-TOK*``,
``job?`` → ``job-TOK?``, ``arn:*:`` and role paths left alone while the names get a suffix), so its
replay denies them, as AWS would deny the rewritten calls (tests/dataplane/test_peer_accuracy.py).
Here each case runs on a ``podid up`` in the case's account (111122223333), cleaned between cases:
the role, its policies, the bucket or queue and the bucket policy are made exactly as the case names
them, the case's session is assumed through boto3, and podid must answer the case's decision. A
neighbouring call the policies do not cover, and the same call by a second role with no policy, must
be denied, so the test cannot pass on an allow-all (for x-rp-06 that second role is ``/team/app2``:
the bucket policy names the role with its path).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from support.iam_cases import load_cases
from support.server import PodidServer, start_podid

ACCOUNT = "111122223333"
CASES = {c["id"]: c for c in load_cases("extra_cases.json")}

pytestmark = [pytest.mark.timeout(180)]


def trust(srv: PodidServer) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{srv.account_id}:root"},
        "Action": ["sts:AssumeRole", "sts:TagSession"]}]})


class Lab:
    """What one case creates on the module's server; :meth:`clean` deletes it again (names are reused)."""

    def __init__(self, srv: PodidServer) -> None:
        self.srv = srv
        self.undo: list[Callable[[], Any]] = []

    def role(self, name: str, path: str, policies: list[dict[str, Any]]) -> None:
        iam = self.srv.client("iam")
        iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=trust(self.srv))
        self.undo.append(lambda: iam.delete_role(RoleName=name))
        for i, doc in enumerate(policies):
            iam.put_role_policy(RoleName=name, PolicyName=f"p{i}", PolicyDocument=json.dumps(doc))
            self.undo.append(lambda i=i: iam.delete_role_policy(RoleName=name, PolicyName=f"p{i}"))

    def resource(self, arn: str, policy: dict[str, Any] | None) -> str:
        """Create the bucket+object or queue ``arn`` names (and its resource policy); return its locator."""
        if arn.startswith("arn:aws:s3:::"):
            bucket, _, key = arn.removeprefix("arn:aws:s3:::").partition("/")
            s3 = self.srv.client("s3")
            s3.create_bucket(Bucket=bucket)
            self.undo.append(lambda: s3.delete_bucket(Bucket=bucket))
            s3.put_object(Bucket=bucket, Key=key, Body=b"x")
            self.undo.append(lambda: s3.delete_object(Bucket=bucket, Key=key))
            if policy:
                s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
            return arn
        assert arn.startswith(f"arn:aws:sqs:{self.srv.region}:{ACCOUNT}:") and policy is None, arn
        sqs = self.srv.client("sqs")
        url = str(sqs.create_queue(QueueName=arn.rsplit(":", 1)[1])["QueueUrl"])
        self.undo.append(lambda: sqs.delete_queue(QueueUrl=url))
        return url

    def clean(self) -> None:
        while self.undo:
            self.undo.pop()()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PodidServer]:
    with start_podid(tmp_path_factory.mktemp("extra-live"), account_id=ACCOUNT) as srv:
        yield srv


@pytest.fixture
def lab(server: PodidServer) -> Iterator[Lab]:
    created = Lab(server)
    yield created
    created.clean()


def session(srv: PodidServer, role: str, name: str, path: str = "/") -> Callable[[str], Any]:
    arn = f"arn:aws:iam::{ACCOUNT}:role{path}{role}"
    cr = srv.client("sts").assume_role(RoleArn=arn, RoleSessionName=name)
    creds = (cr["Credentials"]["AccessKeyId"], cr["Credentials"]["SecretAccessKey"],
             cr["Credentials"]["SessionToken"])
    return lambda service: srv.client(service, credentials=creds)


def call(client: Callable[[str], Any], action: str, where: str) -> str:
    """Make the case's call; "allowed", or "denied" on AccessDenied (any other error fails the test)."""
    try:
        if action == "s3:GetObject":
            bucket, _, key = where.removeprefix("arn:aws:s3:::").partition("/")
            client("s3").get_object(Bucket=bucket, Key=key)
        else:
            assert action == "sqs:SendMessage", action
            client("sqs").send_message(QueueUrl=where, MessageBody="m")
    except ClientError as exc:
        assert exc.response["Error"]["Code"] in ("AccessDenied", "AccessDeniedException"), exc.response
        return "denied"
    return "allowed"


def want(case: dict[str, Any]) -> str:
    return "allowed" if case["expected"] == "allowed" else "denied"


#: case id -> (role path, a resource the policies do not grant, made like the case's own)
NEIGHBOURS = {
    "x-resource-01": ("/", "arn:aws:s3:::other-bucket/a.txt"),
    "x-resource-06": ("/", "arn:aws:s3:::lab-bucket-b/a.txt"),
    "x-resource-12": ("/", f"arn:aws:sqs:us-east-1:{ACCOUNT}:jobs-2"),
    "x-rp-06": ("/team/", "arn:aws:s3:::other-bucket/a.txt"),
}


@pytest.mark.parametrize("case_id", sorted(NEIGHBOURS))
def test_case_live_with_real_names(lab: Lab, case_id: str) -> None:
    case, (path, neighbour) = CASES[case_id], NEIGHBOURS[case_id]
    req, pol, srv = case["request"], case["policies"], lab.srv
    _, role, name = req["principal"].rsplit("/", 2)
    lab.role(role, path, pol.get("identity", []))
    where = lab.resource(req["resource"], pol.get("resource"))
    other = lab.resource(neighbour, None)
    client = session(srv, role, name, path)
    assert client("sts").get_caller_identity()["Arn"] == req["principal"]
    assert call(client, req["action"], where) == want(case) == "allowed", case["description"]
    assert call(client, req["action"], other) == "denied", neighbour
    # a second role beside the case's (same path, no policy of its own) is denied the case's resource
    lab.role(f"{role}2", path, [])
    assert call(session(srv, f"{role}2", name, path), req["action"], where) == "denied"
