"""The outside attack campaign as hypothesis properties against a running ``podid up``.

Classes of input, each generated afresh: forged and tampered pod tokens (EKS Auth), tampered
session tokens (STS and the data plane), raw HTTP garbage, and signed requests with arbitrary
bodies to every AWS API podid serves (control plane and data plane). The properties: zero 5xx,
every refusal in the service's own error shape, zero wrongly accepted requests.

``make test`` runs ~150 inputs per property; ``PODID_SLOW=1`` runs 2,000.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import string
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import jwt
import pytest
import urllib3
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError, ParamValidationError
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.server import PodidServer

SLOW = os.environ.get("PODID_SLOW") == "1"
EXAMPLES = 2000 if SLOW else 150
PROFILE = settings(max_examples=EXAMPLES, deadline=None, database=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

pytestmark = pytest.mark.timeout(3600 if SLOW else 600)

_B64URL = string.ascii_letters + string.digits + "-_"
_ATTACKER = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        return None


def _meaning(token: str) -> tuple[bytes | None, ...]:
    """What a JWT says (its decoded segments): two spellings with equal meaning are one token."""
    return tuple(_unb64(p) for p in token.split("."))


# -- forged pod tokens ------------------------------------------------------------------------------
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
    max_leaves=8)


@st.composite
def forged_tokens(draw: Any, genuine: str) -> str:
    header, payload, sig = genuine.split(".")
    claims = json.loads(_unb64(payload) or b"{}")
    head = json.loads(_unb64(header) or b"{}")
    how = draw(st.sampled_from(["flip", "header", "claims", "attacker", "shape", "text"]))
    if how == "flip":
        parts = [header, payload, sig]
        which = draw(st.integers(0, 2))
        pos = draw(st.integers(0, len(parts[which]) - 1))
        parts[which] = parts[which][:pos] + draw(st.sampled_from(_B64URL)) + parts[which][pos + 1:]
        return ".".join(parts)
    if how == "header":
        alg = draw(st.sampled_from(["none", "None", "HS256", "RS256", "RS512", "ES256", "PS256", ""]))
        new = dict(head, alg=alg, **draw(st.dictionaries(st.sampled_from(["kid", "jku", "x5u", "typ"]),
                                                         st.text(max_size=30), max_size=2)))
        return f"{_b64(json.dumps(new).encode())}.{payload}.{draw(st.sampled_from([sig, '']))}"
    if how == "claims":   # the genuine signature over changed claims
        key = draw(st.sampled_from(["sub", "aud", "iss", "exp", "nbf", "iat", "kubernetes.io"]))
        new = dict(claims, **{key: draw(_json_values)})
        return f"{header}.{_b64(json.dumps(new).encode())}.{sig}"
    if how == "attacker":  # well-formed claims signed by a key the cluster never had
        extra = draw(st.dictionaries(st.sampled_from(["sub", "aud", "exp"]), _json_values, max_size=1))
        return jwt.encode(dict(claims, **extra), _ATTACKER, algorithm="RS256",
                          headers={"kid": head.get("kid")})
    if how == "shape":
        segs = draw(st.lists(st.sampled_from([header, payload, sig, ""]), min_size=1, max_size=5))
        return ".".join(segs)
    return draw(st.text(min_size=1, max_size=300))


def test_forged_pod_tokens_are_refused(lab: dict[str, Any]) -> None:
    srv: PodidServer = lab["srv"]
    auth = srv.client("eks-auth", credentials=lab["node"], parameter_validation=False)
    genuine = lab["token"]
    seen: dict[str, int] = {}

    @PROFILE
    @given(forged_tokens(genuine))
    def attempt(token: str) -> None:
        if _meaning(token) == _meaning(genuine):
            return
        try:
            auth.assume_role_for_pod_identity(clusterName="c1", token=token)
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
            assert 400 <= status < 500, (token, status, exc.response)
            assert code in ("InvalidTokenException", "ExpiredTokenException", "InvalidParameterException",
                            "InvalidRequestException"), (token, code)
            seen[code] = seen.get(code, 0) + 1
            return
        pytest.fail(f"forged token accepted: {token!r}")

    attempt()
    assert seen, "no forged token was tried"


# -- tampered session tokens -----------------------------------------------------------------------
@st.composite
def tampered(draw: Any, token: str) -> str:
    how = draw(st.sampled_from(["flip", "truncate", "append", "swap"]))
    alphabet = string.ascii_letters + string.digits + "+/="
    if how == "flip":
        pos = draw(st.integers(0, len(token) - 1))
        return token[:pos] + draw(st.sampled_from(alphabet)) + token[pos + 1:]
    if how == "truncate":
        return token[:draw(st.integers(1, len(token) - 1))]
    if how == "append":
        return token + draw(st.text(alphabet, min_size=1, max_size=8))
    i, j = sorted(draw(st.tuples(st.integers(0, len(token) - 1), st.integers(0, len(token) - 1))))
    return token[:i] + token[j:j + 1] + token[i + 1:j] + token[i:i + 1] + token[j + 1:]


@pytest.mark.parametrize("which", ["pod_creds", "session"])
def test_tampered_session_tokens_are_refused(lab: dict[str, Any], which: str) -> None:
    srv: PodidServer = lab["srv"]
    if which == "pod_creds":
        c = lab["pod_creds"]
        akid, secret, token = c["accessKeyId"], c["secretAccessKey"], c["sessionToken"]
    else:
        akid, secret, token = lab["session"]

    @PROFILE
    @given(tampered(token), st.sampled_from(["sts", "s3"]))
    def attempt(bad: str, service: str) -> None:
        if bad == token:
            return
        client = srv.client(service, credentials=(akid, secret, bad))
        try:
            if service == "sts":
                client.get_caller_identity()
            else:
                client.get_object(Bucket="campaign-bucket", Key="allowed/a.txt")
        except ClientError as exc:
            status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
            assert 400 <= status < 500, exc.response
            assert exc.response["Error"]["Code"] in ("InvalidClientTokenId", "InvalidToken", "ExpiredToken",
                                                     "SignatureDoesNotMatch", "AccessDenied"), exc.response
            return
        pytest.fail(f"tampered session token accepted: {bad!r}")

    attempt()
    assert srv.client("sts", credentials=(akid, secret, token)).get_caller_identity()["Arn"]


# -- raw HTTP garbage -------------------------------------------------------------------------------
def _raw(srv: PodidServer, data: bytes) -> bytes:
    """Send ``data`` on a fresh connection and read until the server closes it (bounded)."""
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as sock:
        sock.sendall(data)
        chunks: list[bytes] = []
        for _ in range(1000):
            try:
                piece = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not piece:
                break
            chunks.append(piece)
        return b"".join(chunks)


def _status(answer: bytes) -> int | None:
    if not answer.startswith(b"HTTP/1."):
        return None
    return int(answer.split(b" ", 2)[1])


_token = st.text(st.sampled_from(string.ascii_letters + string.digits + "-_.~%/?&=+:;@!$'()*,"), max_size=40)
_header_value = st.binary(max_size=60).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))


@st.composite
def http_requests(draw: Any) -> tuple[bytes, bool]:
    """(bytes, complete): a request line + headers + body; ``complete`` when it is valid HTTP/1.1."""
    method = draw(st.sampled_from([b"GET", b"POST", b"PUT", b"DELETE", b"HEAD", b"PATCH", b"OPTIONS"]))
    target = b"/" + draw(_token).encode()
    headers = draw(st.lists(st.tuples(st.sampled_from([
        b"Authorization", b"X-Amz-Date", b"X-Amz-Target", b"Content-Type", b"X-Amz-Security-Token",
        b"X-Amz-Content-SHA256", b"Content-Encoding", b"X-Amz-Trailer", b"Transfer-Encoding",
        b"Expect", b"X-Amz-Decoded-Content-Length"]), _header_value), max_size=6))
    body = draw(st.binary(max_size=300))
    lines = [method + b" " + target + b" HTTP/1.1", b"Host: 127.0.0.1"]
    lines += [k + b": " + v for k, v in headers if k.lower() != b"transfer-encoding"]
    lines.append(b"Content-Length: " + str(len(body)).encode())
    lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body, True


def test_raw_http_garbage_gets_no_5xx(lab: dict[str, Any]) -> None:
    srv: PodidServer = lab["srv"]

    @PROFILE
    @given(st.one_of(http_requests(),
                     st.binary(min_size=1, max_size=400).map(lambda b: (b + b"\r\n\r\n", False))))
    def attempt(case: tuple[bytes, bool]) -> None:
        data, complete = case
        answer = _raw(srv, data)
        status = _status(answer)
        if complete:
            assert status is not None, (data, answer[:200])
        if status is not None:
            assert status < 500, (data, answer[:500])

    attempt()
    assert httpx.get(srv.url + "/", timeout=10).status_code < 500      # still serving


# -- signed requests with arbitrary input to every API ------------------------------------------------
JSON_APIS = {   # service -> (X-Amz-Target prefix, content type, operations)
    "sqs": ("AmazonSQS", "application/x-amz-json-1.0",
            ["CreateQueue", "SendMessage", "ReceiveMessage", "GetQueueAttributes", "DeleteQueue"]),
    "dynamodb": ("DynamoDB_20120810", "application/x-amz-json-1.0",
                 ["CreateTable", "PutItem", "GetItem", "Query", "DescribeTable", "DeleteTable"]),
    "secretsmanager": ("secretsmanager", "application/x-amz-json-1.1",
                       ["CreateSecret", "GetSecretValue", "PutResourcePolicy", "DeleteSecret"]),
    "kms": ("TrentService", "application/x-amz-json-1.1",
            ["CreateKey", "Encrypt", "Decrypt", "PutKeyPolicy", "DescribeKey"]),
    "logs": ("Logs_20140328", "application/x-amz-json-1.1",
             ["CreateLogGroup", "PutLogEvents", "DescribeLogGroups"]),
}
QUERY_APIS = {
    "iam": ["CreateRole", "PutRolePolicy", "AttachRolePolicy", "CreatePolicy", "GetRole", "DeleteRole",
            "CreateOpenIDConnectProvider", "TagRole", "UpdateAssumeRolePolicy"],
    "sts": ["AssumeRole", "AssumeRoleWithWebIdentity", "GetCallerIdentity"],
    "monitoring": ["PutMetricData", "GetMetricData", "ListMetrics"],
}
_json_bodies = st.dictionaries(
    st.sampled_from(["QueueName", "QueueUrl", "MessageBody", "TableName", "Key", "Item", "SecretId", "Name",
                     "SecretString", "KeyId", "Plaintext", "CiphertextBlob", "Policy", "ResourcePolicy",
                     "logGroupName", "logEvents", "AttributeDefinitions", "KeySchema", "Attributes",
                     "KeyConditionExpression", "ExpressionAttributeValues", "Tags", "x"]),
    _json_values, max_size=5)
_query_params = st.dictionaries(
    st.sampled_from(["RoleName", "AssumeRolePolicyDocument", "PolicyDocument", "PolicyName", "PolicyArn",
                     "RoleArn", "RoleSessionName", "DurationSeconds", "WebIdentityToken", "Url",
                     "ThumbprintList.member.1", "ClientIDList.member.1", "Tags.member.1.Key", "Path",
                     "Namespace", "MetricData.member.1.MetricName", "MetricData.member.1.Value",
                     "Policy", "x"]),
    st.text(max_size=60), max_size=5)


def _signed(srv: PodidServer, service: str, method: str, path: str, body: bytes,
            headers: dict[str, str]) -> httpx.Response:
    url = srv.url + path
    request = AWSRequest(method=method, url=url, data=body, headers=headers)
    SigV4Auth(Credentials(srv.access_key_id, srv.secret_access_key), service, srv.region).add_auth(request)
    prepared = request.prepare()
    with httpx.Client(timeout=30, trust_env=False) as client:
        return client.request(method, httpx.URL(prepared.url),
                              headers=[(k, v) for k, v in prepared.headers.items()], content=body)


def _aws_shaped(resp: httpx.Response) -> bool:
    if resp.headers.get("x-amzn-errortype"):
        return True
    text = resp.text
    if "<Code>" in text:
        return True
    try:
        data = resp.json()
    except ValueError:
        return False
    return isinstance(data, dict) and bool(data.get("__type") or data.get("code") or data.get("message"))


def _check(resp: httpx.Response, what: Any) -> None:
    assert resp.status_code < 500, (what, resp.status_code, resp.text[:500])
    if resp.status_code >= 400 and resp.request.method != "HEAD":   # HEAD answers have no body
        assert _aws_shaped(resp), (what, resp.status_code, resp.text[:500])


def test_signed_garbage_to_json_apis(lab: dict[str, Any]) -> None:
    srv: PodidServer = lab["srv"]
    choices = [(s, op) for s, (_, _, ops) in JSON_APIS.items() for op in ops]

    @PROFILE
    @given(st.sampled_from(choices), st.one_of(_json_bodies.map(lambda d: json.dumps(d).encode()),
                                              st.binary(max_size=200)))
    def attempt(target: tuple[str, str], body: bytes) -> None:
        service, op = target
        prefix, ctype, _ = JSON_APIS[service]
        resp = _signed(srv, service, "POST", "/", body, {"X-Amz-Target": f"{prefix}.{op}",
                                                        "Content-Type": ctype})
        _check(resp, (service, op, body))

    attempt()


def test_signed_garbage_to_query_apis(lab: dict[str, Any]) -> None:
    srv: PodidServer = lab["srv"]
    choices = [(s, op) for s, ops in QUERY_APIS.items() for op in ops]
    versions = {"iam": "2010-05-08", "sts": "2011-06-15", "monitoring": "2010-08-01"}

    @PROFILE
    @given(st.sampled_from(choices), _query_params)
    def attempt(target: tuple[str, str], params: dict[str, str]) -> None:
        service, op = target
        form = {"Action": op, "Version": versions[service], **params}
        body = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in form.items()).encode()
        resp = _signed(srv, service, "POST", "/", body,
                       {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        _check(resp, (service, op, params))

    attempt()


_s3_headers = st.dictionaries(st.sampled_from([
    "x-amz-acl", "x-amz-tagging", "x-amz-copy-source", "x-amz-metadata-directive", "x-amz-storage-class",
    "x-amz-server-side-encryption", "x-amz-checksum-crc32", "x-amz-checksum-sha256", "content-md5",
    "x-amz-object-lock-mode", "x-amz-grant-read", "range", "if-match", "x-amz-meta-a", "content-type"]),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40).map(str.strip), max_size=4)
_s3_queries = st.sampled_from([
    "", "acl", "tagging", "policy", "uploads", "versioning", "list-type=2&prefix=a",
    "uploadId=x&partNumber=1", "delete", "versionId=null", "cors", "lifecycle", "retention", "legal-hold",
    "website", "location", "max-keys=-1", "list-type=3"])


def test_signed_garbage_to_s3(lab: dict[str, Any]) -> None:
    srv: PodidServer = lab["srv"]
    s3 = srv.client("s3")

    @PROFILE
    @given(st.sampled_from(["GET", "PUT", "POST", "DELETE", "HEAD"]),
           st.sampled_from(["campaign-bucket", "no-such-bucket", "UPPER", "a", "x" * 70]),
           st.text(st.characters(min_codepoint=0x20, max_codepoint=0x2FF), max_size=30), _s3_queries,
           _s3_headers, st.binary(max_size=200))
    def attempt(method: str, bucket: str, key: str, query: str, headers: dict[str, str], body: bytes) -> None:
        path = f"/{bucket}/" + quote(key, safe="/~") + (f"?{query}" if query else "")
        before = {o["Key"] for o in s3.list_objects_v2(Bucket="campaign-bucket").get("Contents", [])}
        resp = _signed(srv, "s3", method, path, body, {"x-amz-content-sha256": "UNSIGNED-PAYLOAD", **headers})
        _check(resp, (method, path, headers, body))
        if resp.status_code >= 400:
            after = {o["Key"] for o in s3.list_objects_v2(Bucket="campaign-bucket").get("Contents", [])}
            assert after == before, (method, path, headers)

    attempt()


@st.composite
def eks_requests(draw: Any) -> tuple[str, str, bytes]:
    cluster = draw(st.sampled_from(["c1", "nope", "%2F", "..", "a" * 120, "c1%00"]))
    route = draw(st.sampled_from([
        ("POST", f"/clusters/{cluster}/pod-identity-associations"),
        ("GET", f"/clusters/{cluster}/pod-identity-associations"),
        ("GET", f"/clusters/{cluster}/pod-identity-associations/a-{draw(_token)}"),
        ("POST", f"/clusters/{cluster}/pod-identity-associations/a-{draw(_token)}"),
        ("DELETE", f"/clusters/{cluster}/pod-identity-associations/{draw(_token)}"),
        ("POST", f"/clusters/{cluster}/addons"),
        ("GET", f"/clusters/{cluster}"),
        ("POST", "/clusters"),
        ("POST", f"/clusters/{cluster}/assume-role-for-pod-identity"),
    ]))
    body = draw(st.one_of(
        st.dictionaries(st.sampled_from([
            "namespace", "serviceAccount", "roleArn", "tags", "clientRequestToken", "addonName", "name",
            "token", "targetRoleArn", "disableSessionTags", "resourcesVpcConfig"]), _json_values, max_size=5)
        .map(lambda d: json.dumps(d).encode()),
        st.binary(max_size=100)))
    return route[0], route[1], body


def test_signed_garbage_to_eks(lab: dict[str, Any]) -> None:
    srv: PodidServer = lab["srv"]
    eks = srv.client("eks")

    def state() -> list[Any]:
        return sorted(a["associationId"] for a in
                      eks.list_pod_identity_associations(clusterName="c1")["associations"])

    @PROFILE
    @given(eks_requests())
    def attempt(case: tuple[str, str, bytes]) -> None:
        method, path, body = case
        service = "eks-auth" if path.endswith("assume-role-for-pod-identity") else "eks"
        before = state()
        resp = _signed(srv, service, method, path, body, {"Content-Type": "application/json"})
        _check(resp, case)
        if resp.status_code >= 400:
            assert state() == before, case

    attempt()


_EKS_CODES = {"InvalidParameterException", "ResourceNotFoundException", "ResourceInUseException",
              "InvalidRequestException", "UnknownOperationException"}
_any_text = st.text(max_size=300)


def test_fuzzed_pod_identity_associations_through_boto3(lab: dict[str, Any]) -> None:
    """Any text boto3 will send (control characters, line feeds, astral planes) in every member of
    CreatePodIdentityAssociation: EKS's own error codes, never a 5xx or a bare HTTP error; what is
    accepted is the input, unchanged, and nothing half-made stays behind."""
    srv: PodidServer = lab["srv"]
    eks = srv.client("eks")
    role = lab["role_arn"]
    before = sorted(a["associationId"]
                    for a in eks.list_pod_identity_associations(clusterName="c1")["associations"])

    @PROFILE
    @given(cluster=st.one_of(st.just("c1"), _any_text), namespace=st.one_of(st.just("fuzz"), _any_text),
           account=st.one_of(st.just("sa"), _any_text), role_arn=st.one_of(st.just(role), _any_text),
           tags=st.one_of(st.none(), st.dictionaries(_any_text, _any_text, max_size=3)),
           token=st.one_of(st.none(), _any_text))
    def attempt(cluster: str, namespace: str, account: str, role_arn: str, tags: dict[str, str] | None,
                token: str | None) -> None:
        kwargs: dict[str, Any] = {"clusterName": cluster, "namespace": namespace, "serviceAccount": account,
                                  "roleArn": role_arn}
        if tags is not None:
            kwargs["tags"] = tags
        if token is not None:
            kwargs["clientRequestToken"] = token
        try:
            made = eks.create_pod_identity_association(**kwargs)["association"]
        except ParamValidationError:
            return
        except ClientError as exc:
            status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
            code = exc.response["Error"].get("Code")
            assert status < 500 and code in _EKS_CODES, (kwargs, status, exc.response["Error"])
            if code == "UnknownOperationException":   # only an empty path label routes nowhere
                assert cluster == "", kwargs
            return
        assert (made["namespace"], made["serviceAccount"], made["roleArn"]) == (namespace, account, role_arn)
        eks.delete_pod_identity_association(clusterName="c1", associationId=made["associationId"])

    attempt()
    after = sorted(a["associationId"]
                   for a in eks.list_pod_identity_associations(clusterName="c1")["associations"])
    assert after == before


_KEY_EDGES = ["a\nb", "line\r\nfeed", "tab\there", "nul\x00byte", "\x7fdel", "sp ace+plus%25", "ü/é/中",
              "\U0001f600", "k" * 1024, "é" * 512]


@pytest.mark.parametrize("key", _KEY_EDGES, ids=range(len(_KEY_EDGES)))
def test_s3_keys_with_any_character_round_trip(lab: dict[str, Any], key: str) -> None:
    """S3 keys are any UTF-8 up to 1024 bytes: a line feed or NUL is a key like any other."""
    s3 = lab["srv"].client("s3")
    s3.put_object(Bucket="campaign-bucket", Key=key, Body=b"edge")
    assert s3.get_object(Bucket="campaign-bucket", Key=key)["Body"].read() == b"edge"
    s3.delete_object(Bucket="campaign-bucket", Key=key)


def test_s3_key_too_long_and_invalid_uri(lab: dict[str, Any]) -> None:
    srv: PodidServer = lab["srv"]
    s3 = srv.client("s3")
    for key in ("k" * 1025, "é" * 513):
        with pytest.raises(ClientError) as info:
            s3.put_object(Bucket="campaign-bucket", Key=key, Body=b"x")
        error = info.value.response["Error"]
        assert (error["Code"], error["Message"]) == ("KeyTooLongError", "Your key is too long")
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="campaign-bucket").get("Contents", [])}
    for path in ("/campaign-bucket/%FF", "/campaign-bucket/caf%E9", "/campaign-bucket/%C3%28"):
        request = AWSRequest(method="PUT", url=srv.url + path, data=b"x")
        S3SigV4Auth(Credentials(srv.access_key_id, srv.secret_access_key), "s3", srv.region).add_auth(request)
        with urllib3.PoolManager() as pool:   # sends the path's bytes as signed (httpx re-escapes)
            resp = pool.request("PUT", srv.url + path, body=b"x", headers=dict(request.prepare().headers))
        assert resp.status == 400 and b"<Code>InvalidURI</Code>" in resp.data, resp.data
    assert {o["Key"] for o in s3.list_objects_v2(Bucket="campaign-bucket").get("Contents", [])} == keys


@PROFILE
@given(key=st.text(min_size=1, max_size=60))
def test_fuzzed_s3_keys_through_boto3(lab: dict[str, Any], key: str) -> None:
    s3 = lab["srv"].client("s3")
    try:
        s3.put_object(Bucket="campaign-bucket", Key=key, Body=b"f")
    except ClientError as exc:
        status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
        assert 400 <= status < 500 and exc.response["Error"]["Code"] in {"InvalidURI", "KeyTooLongError"}, key
        return
    assert s3.get_object(Bucket="campaign-bucket", Key=key)["Body"].read() == b"f"
    s3.delete_object(Bucket="campaign-bucket", Key=key)


def test_campaign_left_the_lab_working(lab: dict[str, Any]) -> None:
    """After the campaign the genuine identities still work (nothing was corrupted)."""
    srv: PodidServer = lab["srv"]
    creds = srv.client("eks-auth", credentials=lab["node"]).assume_role_for_pod_identity(
        clusterName="c1", token=lab["token"])["credentials"]
    triple = (creds["accessKeyId"], creds["secretAccessKey"], creds["sessionToken"])
    pod = srv.client("s3", credentials=triple)
    assert pod.get_object(Bucket="campaign-bucket", Key="allowed/a.txt")["Body"].read() == b"a"
    assert urlsplit(srv.url).hostname == "127.0.0.1"
