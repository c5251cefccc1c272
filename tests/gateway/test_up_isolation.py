"""`podid up` never reads the user's AWS configuration: a real server started from a hostile shell.

The shell is the one issue 11 describes (`source .podid/env` of a state that is gone, so AWS_PROFILE
names a profile no file defines) plus every other ambient AWS setting botocore would honour: junk
keys, dead endpoint URLs, a bogus region and retry mode, a looping profile, a HOME whose ~/.aws holds
junk credentials, config and a service model that is not JSON. The server must start, ignore all of
it, and answer the admin key for STS, S3 and SQS; its in-process node agent (a botocore client of
EKS Auth) must start too, so the cluster's add-on becomes ACTIVE.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from support.server import PodidServer, free_port, start_podid

ADMIN_ARN = "arn:aws:iam::{account}:user/podid-admin"


def _hostile_env(root: Path) -> dict[str, str]:
    home = root / "home"
    aws = home / ".aws"
    models = aws / "models" / "sts" / "2011-06-15"
    models.mkdir(parents=True)
    (models / "service-2.json").write_text("{this is not a model")
    (aws / "credentials").write_text(
        "[default]\naws_access_key_id = AKIAHOMEJUNK0000000\naws_secret_access_key = junk\n[broken\n"
    )
    (aws / "config").write_text("[default]\nregion = mars-north-9\nretry_mode = bogus\n")
    looping = root / "looping-config"
    looping.write_text(
        "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/a\nsource_profile = b\n"
        "[profile b]\nrole_arn = arn:aws:iam::123456789012:role/b\nsource_profile = a\n"
    )
    data_path = root / "data-path" / "sqs" / "2012-11-05"
    data_path.mkdir(parents=True)
    (data_path / "service-2.json").write_text("[]")
    dead = f"http://127.0.0.1:{free_port()}"
    return {
        "HOME": str(home),
        "AWS_PROFILE": "podid",  # defined by no file: botocore's ProfileNotFound
        "AWS_DEFAULT_PROFILE": "a",
        "AWS_CONFIG_FILE": str(looping),
        "AWS_SHARED_CREDENTIALS_FILE": str(root / "gone" / "credentials"),
        "AWS_ACCESS_KEY_ID": "AKIAJUNKJUNKJUNKJUNK",
        "AWS_SECRET_ACCESS_KEY": "junk",
        "AWS_SESSION_TOKEN": "junk",
        "AWS_ENDPOINT_URL": dead,
        "AWS_ENDPOINT_URL_STS": dead,
        "AWS_ENDPOINT_URL_EKS_AUTH": dead,
        "AWS_REGION": "mars-north-9",
        "AWS_DEFAULT_REGION": "mars-north-9",
        "AWS_RETRY_MODE": "bogus",
        "AWS_MAX_ATTEMPTS": "many",
        "AWS_CA_BUNDLE": str(root / "gone" / "ca.pem"),
        "AWS_USE_FIPS_ENDPOINT": "true",
        "AWS_DATA_PATH": str(root / "data-path"),
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": f"{dead}/creds",
        "AWS_WEB_IDENTITY_TOKEN_FILE": str(root / "gone" / "token"),
        "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/x",
        "AWS_EC2_METADATA_DISABLED": "false",
        "BOTO_CONFIG": str(root / "gone" / "boto"),
    }


def _wait_addon(server: PodidServer, cluster: str, wanted: str, timeout: float = 20.0) -> str:
    eks = server.client("eks")
    deadline = time.monotonic() + timeout
    while True:
        addon = eks.describe_addon(clusterName=cluster, addonName="eks-pod-identity-agent")["addon"]
        status = str(addon["status"])
        if status == wanted or time.monotonic() > deadline:
            return status
        time.sleep(0.2)


def _stale_env(root: Path) -> dict[str, str]:
    """What `source OLD/env` leaves behind once OLD is deleted and podid runs with a new --state."""
    gone = root / "old-state"
    return {
        "AWS_PROFILE": "podid",
        "AWS_CONFIG_FILE": str(gone / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(gone / "credentials"),
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
        "AWS_REGION": "us-east-1",
    }


@pytest.mark.parametrize("shell", ["stale-podid-env", "hostile"])
def test_up_ignores_every_ambient_aws_setting(tmp_path: Path, shell: str) -> None:
    env = _stale_env(tmp_path) if shell == "stale-podid-env" else _hostile_env(tmp_path)
    with start_podid(tmp_path / "state", env=env, extra_args=["--cluster", "lab"]) as server:
        sts = server.client("sts")
        assert sts.get_caller_identity()["Arn"] == ADMIN_ARN.format(account=server.account_id)

        s3 = server.client("s3")
        s3.create_bucket(Bucket="isolated-bucket")
        s3.put_object(Bucket="isolated-bucket", Key="k", Body=b"v")
        assert s3.get_object(Bucket="isolated-bucket", Key="k")["Body"].read() == b"v"

        sqs = server.client("sqs")
        url = sqs.create_queue(QueueName="isolated")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="hello")
        messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
        assert [m["Body"] for m in messages] == ["hello"]

        cli = server.aws("sts", "get-caller-identity")
        assert cli.returncode == 0, cli.stderr

        server.client("eks").create_addon(clusterName="lab", addonName="eks-pod-identity-agent")
        assert _wait_addon(server, "lab", "ACTIVE") == "ACTIVE", server.log()[-3000:]
        log = server.log()
    assert "ProfileNotFound" not in log and "Traceback" not in log, log[-3000:]
    ignored = next(line for line in log.splitlines() if line.startswith("podid up ignores "))
    assert all(name in ignored for name in env if name.startswith("AWS_")), ignored
