"""mutate_pod: golden outputs from the seeds, every annotation, init/skip/preset env, both modes."""

from __future__ import annotations

import copy
import random

import pytest
from webhook_fixtures import PI_ROLE, ROLE, describe_lines, env, env_map, pod, service_account, volume

from podid.webhook import PodIdentityAssociation, WebhookConfig, apply, mutate_pod

EKS = WebhookConfig.eks("ap-northeast-2")
ASSOC = PodIdentityAssociation("default", "s3-sa", PI_ROLE, "a-abcdefghijklmnopq")

# seed 003: `kubectl describe pod eks-iam-test3` (Environment + Mounts)
SEED_003_DESCRIBE = (
    """
AWS_STS_REGIONAL_ENDPOINTS:   regional
AWS_DEFAULT_REGION:           ap-northeast-2
AWS_REGION:                   ap-northeast-2
AWS_ROLE_ARN:                 {role}
AWS_WEB_IDENTITY_TOKEN_FILE:  /var/run/secrets/eks.amazonaws.com/serviceaccount/token
/var/run/secrets/eks.amazonaws.com/serviceaccount from aws-iam-token (ro)
/var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-dccvr (ro)
""".strip()
    .format(role=ROLE)
    .splitlines()
)

# seed 002 (Pod Identity PoC): `k describe po ... | grep AWS_CONTAINER`
SEED_PI_DESCRIBE = [
    "AWS_CONTAINER_CREDENTIALS_FULL_URI:      http://169.254.170.23/v1/credentials",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE:  "
    "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token",
]


def _irsa(p: dict, sa: dict | None = None, config: WebhookConfig = EKS, **kw: object):  # type: ignore[no-untyped-def]
    return mutate_pod(p, sa if sa is not None else service_account(role_arn=ROLE), config=config, **kw)  # type: ignore[arg-type]


def _check_patch(original: dict, result) -> None:  # type: ignore[no-untyped-def]
    assert apply(original, result.patch) == result.pod


# -- golden --------------------------------------------------------------------------------------


def test_seed_003_irsa_golden() -> None:
    original = pod()
    result = _irsa(original)
    _check_patch(original, result)
    out = result.pod
    assert env(out) == [
        {"name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "regional"},
        {"name": "AWS_DEFAULT_REGION", "value": "ap-northeast-2"},
        {"name": "AWS_REGION", "value": "ap-northeast-2"},
        {"name": "AWS_ROLE_ARN", "value": ROLE},
        {
            "name": "AWS_WEB_IDENTITY_TOKEN_FILE",
            "value": "/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
        },
    ]
    assert out["spec"]["containers"][0]["volumeMounts"] == [
        {
            "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
            "name": "kube-api-access-dccvr",
            "readOnly": True,
        },
        {
            "mountPath": "/var/run/secrets/eks.amazonaws.com/serviceaccount",
            "name": "aws-iam-token",
            "readOnly": True,
        },
    ]
    assert out["spec"]["volumes"][0] == {
        "name": "aws-iam-token",
        "projected": {
            "defaultMode": 420,
            "sources": [
                {
                    "serviceAccountToken": {
                        "audience": "sts.amazonaws.com",
                        "expirationSeconds": 86400,
                        "path": "token",
                    }
                }
            ],
        },
    }
    assert [v["name"] for v in out["spec"]["volumes"]] == ["aws-iam-token", "kube-api-access-dccvr"]
    assert describe_lines(out) == SEED_003_DESCRIBE
    assert result.injected == ("irsa",) and result.identity == "irsa" and result.role_arn == ROLE
    assert result.container_identities == {"my-aws-cli": "irsa"}
    # nothing else in the pod changed
    stripped = copy.deepcopy(out)
    stripped["spec"]["volumes"].pop(0)
    c = stripped["spec"]["containers"][0]
    del c["env"]
    c["volumeMounts"].pop()
    assert stripped == original


def test_seed_pod_identity_golden() -> None:
    original = pod(
        "kkamji-pod-identity-poc",
        sa="s3-sa",
        containers=[{"name": "demo", "image": "amazon/aws-cli:latest", "command": ["sleep", "3600"]}],
    )
    result = mutate_pod(original, service_account("s3-sa"), association=ASSOC)
    _check_patch(original, result)
    out = result.pod
    assert describe_lines(out)[:2] == SEED_PI_DESCRIBE
    assert env(out) == [
        {"name": "AWS_CONTAINER_CREDENTIALS_FULL_URI", "value": "http://169.254.170.23/v1/credentials"},
        {
            "name": "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
            "value": "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token",
        },
    ]
    assert volume(out, "eks-pod-identity-token") == {
        "name": "eks-pod-identity-token",
        "projected": {
            "defaultMode": 420,
            "sources": [
                {
                    "serviceAccountToken": {
                        "audience": "pods.eks.amazonaws.com",
                        "expirationSeconds": 86400,
                        "path": "eks-pod-identity-token",
                    }
                }
            ],
        },
    }
    assert {
        "name": "eks-pod-identity-token",
        "readOnly": True,
        "mountPath": "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount",
    } in out["spec"]["containers"][0]["volumeMounts"]
    assert result.identity == "pod_identity" and result.role_arn == PI_ROLE
    assert "eks.amazonaws.com/pod-identity" not in (out["metadata"].get("labels") or {})


def test_pod_identity_on_eks_config_adds_region_and_regional_sts() -> None:
    result = mutate_pod(pod(sa="s3-sa"), service_account("s3-sa"), association=ASSOC, config=EKS)
    assert [e["name"] for e in env(result.pod)] == [
        "AWS_STS_REGIONAL_ENDPOINTS",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    ]


def test_pod_identity_label_and_agent_url_override() -> None:
    config = WebhookConfig(
        pod_identity_label=True, pod_identity_full_uri="http://127.0.0.1:8099/v1/credentials"
    )
    original = pod(sa="s3-sa")
    result = mutate_pod(original, None, association=ASSOC, config=config)
    _check_patch(original, result)
    assert result.pod["metadata"]["labels"] == {"eks.amazonaws.com/pod-identity": "enabled"}
    assert env_map(result.pod)["AWS_CONTAINER_CREDENTIALS_FULL_URI"] == "http://127.0.0.1:8099/v1/credentials"


def test_target_role_is_reported_for_chained_associations() -> None:
    chained = PodIdentityAssociation(
        "default", "s3-sa", PI_ROLE, target_role_arn="arn:aws:iam::444455556666:role/t"
    )
    assert (
        mutate_pod(pod(sa="s3-sa"), None, association=chained).role_arn == "arn:aws:iam::444455556666:role/t"
    )


# -- annotations ----------------------------------------------------------------------------------


def _irsa_volume_source(result) -> dict:  # type: ignore[no-untyped-def]
    return volume(result.pod, "aws-iam-token")["projected"]["sources"][0]["serviceAccountToken"]


def test_audience_annotation() -> None:
    result = _irsa(pod(), service_account(role_arn=ROLE, audience="my-aud"))
    assert _irsa_volume_source(result)["audience"] == "my-aud"
    assert _irsa_volume_source(_irsa(pod(), config=WebhookConfig(default_audience="x")))["audience"] == "x"


@pytest.mark.parametrize(
    ("default", "annotation", "expected"),
    [
        (False, None, False),
        (False, "true", True),
        (False, "True", True),
        (False, "1", True),
        (False, "yes", False),
        (True, None, True),
        (True, "false", False),
        (True, "0", False),
        (True, "garbage", True),
    ],
)
def test_sts_regional_endpoints(default: bool, annotation: str | None, expected: bool) -> None:
    sa = service_account(role_arn=ROLE, **({"sts_regional_endpoints": annotation} if annotation else {}))
    result = _irsa(pod(), sa, config=WebhookConfig(default_regional_sts=default))
    assert ("AWS_STS_REGIONAL_ENDPOINTS" in env_map(result.pod)) is expected
    if expected:
        assert env_map(result.pod)["AWS_STS_REGIONAL_ENDPOINTS"] == "regional"
    assert bool(result.warnings) is (annotation == "garbage" or annotation == "yes")


@pytest.mark.parametrize(
    ("sa_value", "pod_value", "expected"),
    [
        (None, None, 86400),
        ("3600", None, 3600),
        ("599", None, 600),
        ("-5", None, 600),
        ("3600", "7200", 7200),
        ("3600", "100", 600),
        ("3600", "soon", 3600),
        ("x", None, 86400),
        (None, "+900", 900),
        (None, "172800", 172800),
        ("3600", "", 3600),
    ],
)
def test_token_expiration(sa_value: str | None, pod_value: str | None, expected: int) -> None:
    sa = service_account(role_arn=ROLE, **({"token_expiration": sa_value} if sa_value is not None else {}))
    p = pod()
    if pod_value is not None:
        p["metadata"]["annotations"] = {"eks.amazonaws.com/token-expiration": pod_value}
    result = _irsa(p, sa)
    assert _irsa_volume_source(result)["expirationSeconds"] == expected
    # Pod Identity honours the same annotations
    pi = mutate_pod(
        copy.deepcopy(p) | {"spec": dict(p["spec"], serviceAccountName="s3-sa")},
        dict(sa, metadata=dict(sa["metadata"], name="s3-sa")),
        association=ASSOC,
    )
    pi_source = volume(pi.pod, "eks-pod-identity-token")["projected"]["sources"][0]["serviceAccountToken"]
    assert pi_source["expirationSeconds"] == expected


def test_pod_identity_jitter_option() -> None:
    config = WebhookConfig(pod_identity_jitter=True)
    seen = set()
    for seed in range(20):
        result = mutate_pod(pod(sa="s3-sa"), None, association=ASSOC, config=config, rng=random.Random(seed))
        seconds = volume(result.pod, "eks-pod-identity-token")["projected"]["sources"][0][
            "serviceAccountToken"
        ]["expirationSeconds"]
        assert 79200 <= seconds <= 86400
        seen.add(seconds)
    assert len(seen) > 1


def test_no_region_configured_means_no_region_vars() -> None:
    names = [e["name"] for e in env(_irsa(pod(), config=WebhookConfig()).pod)]
    assert names == ["AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"]


def test_invalid_role_arn_is_used_but_warned() -> None:
    result = _irsa(pod(), service_account(role_arn="my-role"))
    assert env_map(result.pod)["AWS_ROLE_ARN"] == "my-role" and result.warnings


# -- containers ---------------------------------------------------------------------------------


def test_init_containers_and_skip_containers() -> None:
    p = pod(
        containers=[
            {"name": "app", "image": "a"},
            {"name": "sidecar", "image": "b"},
            {"name": "side,car", "image": "c"},
        ],
        initContainers=[{"name": "init", "image": "i"}, {"name": "init-skip", "image": "j"}],
    )
    p["metadata"]["annotations"] = {"eks.amazonaws.com/skip-containers": 'sidecar,init-skip,"side,car"'}
    result = _irsa(p)
    _check_patch(p, result)
    out = result.pod
    assert env_map(out, 0)["AWS_ROLE_ARN"] == ROLE
    assert env(out, 1) == [] and env(out, 2) == []
    assert env_map(out, 0, "initContainers")["AWS_ROLE_ARN"] == ROLE
    assert env(out, 1, "initContainers") == []
    assert [m["name"] for m in out["spec"]["containers"][1]["volumeMounts"]] == ["kube-api-access-dccvr"]
    assert any("skipped" in r for r in result.reasons)
    assert result.container_identities == {
        "init": "irsa",
        "init-skip": None,
        "app": "irsa",
        "sidecar": None,
        "side,car": None,
    }


def test_skip_containers_spaces_are_significant_like_go_csv() -> None:
    p = pod(containers=[{"name": "a", "image": "a"}, {"name": "b", "image": "b"}])
    p["metadata"]["annotations"] = {"eks.amazonaws.com/skip-containers": "a, b"}
    out = _irsa(p).pod
    assert env(out, 0) == [] and env_map(out, 1)["AWS_ROLE_ARN"] == ROLE  # " b" is not "b"


def test_all_containers_skipped_still_gets_the_volume_like_upstream() -> None:
    p = pod()
    p["metadata"]["annotations"] = {"eks.amazonaws.com/skip-containers": "my-aws-cli"}
    out = _irsa(p).pod
    assert env(out) == [] and out["spec"]["volumes"][0]["name"] == "aws-iam-token"


def test_preset_role_var_blocks_both_role_vars() -> None:
    p = pod(
        containers=[
            {"name": "c", "image": "x", "env": [{"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": "/mine"}]}
        ]
    )
    out = _irsa(p).pod
    assert env(out) == [
        {"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": "/mine"},
        {"name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "regional"},
        {"name": "AWS_DEFAULT_REGION", "value": "ap-northeast-2"},
        {"name": "AWS_REGION", "value": "ap-northeast-2"},
    ]
    assert out["spec"]["containers"][0]["volumeMounts"][-1]["name"] == "aws-iam-token"


def test_preset_region_var_blocks_both_region_vars() -> None:
    p = pod(containers=[{"name": "c", "image": "x", "env": [{"name": "AWS_REGION", "value": "us-west-2"}]}])
    m = env_map(_irsa(p).pod)
    assert m["AWS_REGION"] == "us-west-2" and "AWS_DEFAULT_REGION" not in m and m["AWS_ROLE_ARN"] == ROLE


def test_valuefrom_env_counts_as_set() -> None:
    p = pod(
        containers=[
            {
                "name": "c",
                "image": "x",
                "env": [
                    {"name": "AWS_ROLE_ARN", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "role"}}}
                ],
            }
        ]
    )
    m = env_map(_irsa(p).pod)
    assert m["AWS_ROLE_ARN"] is None and "AWS_WEB_IDENTITY_TOKEN_FILE" not in m


def test_everything_preset_leaves_container_untouched_even_the_mount() -> None:
    preset = [
        {"name": "AWS_ROLE_ARN", "value": "arn:aws:iam::111122223333:role/mine"},
        {"name": "AWS_DEFAULT_REGION", "value": "eu-west-1"},
        {"name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "legacy"},
    ]
    p = pod(containers=[{"name": "c", "image": "x", "env": copy.deepcopy(preset)}])
    out = _irsa(p).pod
    assert env(out) == preset
    assert [m["name"] for m in out["spec"]["containers"][0]["volumeMounts"]] == ["kube-api-access-dccvr"]


def test_preset_container_credentials_env_is_respected() -> None:
    p = pod(
        sa="s3-sa",
        containers=[
            {
                "name": "c",
                "image": "x",
                "env": [{"name": "AWS_CONTAINER_CREDENTIALS_FULL_URI", "value": "http://127.0.0.1:9/creds"}],
            }
        ],
    )
    m = env_map(mutate_pod(p, None, association=ASSOC).pod)
    assert m == {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9/creds"}


def test_existing_volume_with_the_same_name_is_kept() -> None:
    p = pod()
    p["spec"]["volumes"].append({"name": "aws-iam-token", "emptyDir": {}})
    out = _irsa(p).pod
    assert [v["name"] for v in out["spec"]["volumes"]] == ["kube-api-access-dccvr", "aws-iam-token"]
    assert volume(out, "aws-iam-token") == {"name": "aws-iam-token", "emptyDir": {}}


def test_windows_pods_get_windows_token_paths() -> None:
    p = pod(nodeSelector={"kubernetes.io/os": "windows"})
    m = env_map(_irsa(p).pod)
    assert (
        m["AWS_WEB_IDENTITY_TOKEN_FILE"] == "C:\\var\\run\\secrets\\eks.amazonaws.com\\serviceaccount\\token"
    )


def test_pod_without_volumes_or_env() -> None:
    p = {
        "metadata": {"name": "bare", "namespace": "default"},
        "spec": {"serviceAccountName": "my-sa", "containers": [{"name": "c", "image": "x"}]},
    }
    result = _irsa(p)
    _check_patch(p, result)
    assert [op["path"] for op in result.patch] == [
        "/spec/containers/0/env",
        "/spec/containers/0/volumeMounts",
        "/spec/volumes",
    ]


# -- idempotence, both, none --------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["irsa", "pod_identity", "both"])
def test_re_admission_is_idempotent(mode: str) -> None:
    sa = service_account("s3-sa", role_arn=ROLE) if mode != "pod_identity" else service_account("s3-sa")
    assoc = ASSOC if mode != "irsa" else None
    for config in (EKS, WebhookConfig()):
        first = mutate_pod(pod(sa="s3-sa"), sa, association=assoc, config=config)
        assert first.mutated
        second = mutate_pod(first.pod, sa, association=assoc, config=config)
        assert second.patch == [] and not second.mutated and second.pod == first.pod


def test_both_injected_and_irsa_wins() -> None:
    original = pod(sa="s3-sa")
    result = mutate_pod(original, service_account("s3-sa", role_arn=ROLE), association=ASSOC, config=EKS)
    _check_patch(original, result)
    out = result.pod
    assert [e["name"] for e in env(out)] == [
        "AWS_STS_REGIONAL_ENDPOINTS",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    ]
    assert [v["name"] for v in out["spec"]["volumes"]] == [
        "aws-iam-token",
        "eks-pod-identity-token",
        "kube-api-access-dccvr",
    ]
    assert result.injected == ("irsa", "pod_identity")
    assert result.identity == "irsa" and result.role_arn == ROLE
    assert result.container_identities == {"my-aws-cli": "irsa"}
    assert any("web identity before container credentials" in r for r in result.reasons)


def test_both_with_pod_identity_only_policy_matches_upstream_webhook() -> None:
    config = WebhookConfig.eks("ap-northeast-2", both="pod_identity_only")
    result = mutate_pod(
        pod(sa="s3-sa"), service_account("s3-sa", role_arn=ROLE), association=ASSOC, config=config
    )
    assert "AWS_ROLE_ARN" not in env_map(result.pod)
    assert result.injected == ("pod_identity",) and result.identity == "pod_identity"
    assert result.role_arn == PI_ROLE


def test_pod_admitted_before_its_association_gets_nothing() -> None:
    original = pod(sa="s3-sa")
    result = mutate_pod(original, service_account("s3-sa"), association=None, config=EKS)
    assert result.patch == [] and not result.mutated and result.pod == original
    assert result.identity is None and result.injected == ()
    assert len(result.reasons) == 1 and "no Pod Identity association" in result.reasons[0]
    assert "default/s3-sa" in result.reasons[0] and "recreate" in result.reasons[0]
    # later the association exists: a new pod gets it, the old one stays as it was
    assert mutate_pod(original, service_account("s3-sa"), association=ASSOC).mutated


def test_missing_agent_addon_still_injects_but_warns() -> None:
    result = mutate_pod(pod(sa="s3-sa"), None, association=ASSOC, agent_addon_installed=False)
    assert result.mutated and any("eks-pod-identity-agent" in w for w in result.warnings)


def test_skip_label_and_input_untouched() -> None:
    p = pod()
    p["metadata"]["labels"] = {"eks.amazonaws.com/skip-pod-identity-webhook": "true"}
    snapshot = copy.deepcopy(p)
    assert _irsa(p).patch == []
    q = pod()
    snap_q = copy.deepcopy(q)
    assert _irsa(q).mutated
    assert p == snapshot and q == snap_q


def test_association_for_another_service_account_is_an_error() -> None:
    with pytest.raises(ValueError):
        mutate_pod(pod(sa="other"), None, association=ASSOC)


def test_default_service_account_and_request_namespace() -> None:
    p = pod()
    del p["spec"]["serviceAccountName"]
    del p["metadata"]["namespace"]
    assoc = PodIdentityAssociation("team-a", "default", PI_ROLE)
    assert mutate_pod(p, None, association=assoc, namespace="team-a").identity == "pod_identity"


def test_static_keys_in_env_shadow_everything() -> None:
    p = pod(
        containers=[
            {
                "name": "c",
                "image": "x",
                "env": [
                    {"name": "AWS_ACCESS_KEY_ID", "value": "AKIA"},
                    {"name": "AWS_SECRET_ACCESS_KEY", "value": "s"},
                ],
            }
        ]
    )
    assert _irsa(p).container_identities == {"c": "static_env"}
