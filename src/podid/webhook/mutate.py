"""The admission mutation itself: a pure function from (pod, ServiceAccount, association) to a
mutated pod plus its RFC 6902 patch.

Rules follow ``amazon-eks-pod-identity-webhook`` ``pkg/handler/handler.go`` step by step:

* containers are visited init containers first, then containers; names in the pod annotation
  ``eks.amazonaws.com/skip-containers`` (CSV) are left alone;
* per container and per mode: if the mode's variables (either of the pair), a region variable and
  ``AWS_STS_REGIONAL_ENDPOINTS`` are all present the container is untouched (no mount either);
  otherwise ``AWS_STS_REGIONAL_ENDPOINTS=regional`` (if enabled and absent), ``AWS_DEFAULT_REGION``
  + ``AWS_REGION`` (if a region is configured and neither is set), then the mode's pair (if neither
  is set), then a read-only mount unless one with the volume's name exists;
* the projected token volume is inserted first in ``spec.volumes`` unless one with its name exists;
* token expiration: pod annotation > SA annotation > default; below 600 raised to 600; garbage
  ignored. Audience: SA annotation > default. Regional STS: SA annotation (Go ParseBool) > default.
* pods labelled ``eks.amazonaws.com/skip-pod-identity-webhook`` are skipped (the webhook's
  objectSelector), so in-process callers get the same answer as the API server would.

Pod Identity (an association exists) and IRSA (``role-arn`` annotation) may both apply; see
:class:`podid.webhook.config.WebhookConfig` ``both`` and docs/decisions.md.
"""

from __future__ import annotations

import copy
import csv
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from podid.webhook.config import (
    AGENT_ADDON,
    AUDIENCE,
    DEFAULT_MIN_TOKEN_EXPIRATION,
    DEFAULT_MODE,
    DEFAULT_TOKEN_EXPIRATION,
    ENV_AUTH_TOKEN_FILE,
    ENV_DEFAULT_REGION,
    ENV_FULL_URI,
    ENV_REGION,
    ENV_ROLE_ARN,
    ENV_STS_REGIONAL,
    ENV_WEB_IDENTITY_TOKEN_FILE,
    MIN_TOKEN_EXPIRATION,
    POD_IDENTITY_LABEL,
    ROLE_ARN,
    SKIP_CONTAINERS,
    SKIP_WEBHOOK_LABEL,
    STS_REGIONAL_ENDPOINTS,
    TOKEN_EXPIRATION,
    PodIdentityAssociation,
    WebhookConfig,
)
from podid.webhook.jsonpatch import diff

Mode = Literal["irsa", "pod_identity"]
ContainerIdentity = Literal["static_env", "irsa", "pod_identity"]

_ROLE_ARN_RE = re.compile(r"^arn:aws[a-z0-9-]*:iam::\d{12}:role\/[\w\-\/.@+=,]+$")
_GO_INT = re.compile(r"^[+-]?[0-9]+$")
_GO_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_GO_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


@dataclass(frozen=True)
class MutationResult:
    """What admission did to one pod.

    ``pod``: the mutated pod (a deep copy; the input is never modified). ``patch``: RFC 6902 ops
    turning the input into ``pod`` (empty = nothing to do). ``injected``: the modes applied.
    ``identity``/``role_arn``: what the pod's SDKs will use (web identity wins over container
    credentials). ``container_identities``: the same per container, from its final environment.
    ``reasons``: human sentences for an Event; ``warnings``: for AdmissionResponse.warnings.
    """

    pod: dict[str, Any]
    patch: list[dict[str, Any]]
    injected: tuple[Mode, ...] = ()
    identity: Mode | None = None
    role_arn: str | None = None
    container_identities: Mapping[str, ContainerIdentity | None] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def mutated(self) -> bool:
        return bool(self.patch)


@dataclass(frozen=True)
class _ModeSpec:
    mode: Mode
    volume_name: str
    mount_path: str
    token_path: str
    audience: str
    expiration: int
    pair: tuple[tuple[str, str], tuple[str, str]]  # the two env vars (name, value)


def parse_go_bool(value: str) -> bool | None:
    """``strconv.ParseBool``: None when Go would return an error."""
    if value in _GO_TRUE:
        return True
    if value in _GO_FALSE:
        return False
    return None


def parse_go_int64(value: str) -> int | None:
    """``strconv.ParseInt(s, 10, 64)``: None when Go would return an error."""
    if not _GO_INT.match(value):
        return None
    number = int(value)
    return number if -(2**63) <= number < 2**63 else None


def min_token_expiration(seconds: int) -> int:
    """``ValidateMinTokenExpiration``: below 600 becomes 600; no maximum."""
    return max(seconds, MIN_TOKEN_EXPIRATION)


def containers_to_skip(annotations: Mapping[str, str], config: WebhookConfig) -> set[str]:
    """Names from the ``skip-containers`` CSV pod annotation (first record; unparsable = none)."""
    value = annotations.get(config.annotation(SKIP_CONTAINERS))
    if value is None:
        return set()
    try:
        row = next(csv.reader([value], strict=True), None)
    except csv.Error:
        return set()
    return set(row or ())


def _annotations(obj: Mapping[str, Any] | None) -> Mapping[str, str]:
    meta = (obj or {}).get("metadata") or {}
    return meta.get("annotations") or {}


def _token_file(mount_path: str, token_path: str, pod: Mapping[str, Any]) -> str:
    path = mount_path.rstrip("/") + "/" + token_path
    selector = (pod.get("spec") or {}).get("nodeSelector") or {}
    if "windows" in (selector.get("beta.kubernetes.io/os"), selector.get("kubernetes.io/os")):
        path = "C:" + path.replace("/", "\\")
    return path


def _env_names(container: Mapping[str, Any]) -> set[str]:
    return {e["name"] for e in container.get("env") or []
            if isinstance(e, Mapping) and isinstance(e.get("name"), str)}


def _mutate_container(container: dict[str, Any], spec: _ModeSpec, token_file: str,
                      regional_sts: bool, region: str | None) -> None:
    names = _env_names(container)
    mode_defined = bool(names & {spec.pair[0][0], spec.pair[1][0]})
    region_defined = bool(names & {ENV_REGION, ENV_DEFAULT_REGION})
    sts_defined = ENV_STS_REGIONAL in names
    if mode_defined and region_defined and sts_defined:
        return
    env = list(container.get("env") or [])
    added: list[dict[str, str]] = []
    if not sts_defined and regional_sts:
        added.append({"name": ENV_STS_REGIONAL, "value": "regional"})
    if not region_defined and region:
        added += [{"name": ENV_DEFAULT_REGION, "value": region}, {"name": ENV_REGION, "value": region}]
    if not mode_defined:
        (first, first_value), (second, _) = spec.pair
        added += [{"name": first, "value": first_value}, {"name": second, "value": token_file}]
    if added:
        container["env"] = env + added
    mounts = container.get("volumeMounts") or []
    if not any(isinstance(m, Mapping) and m.get("name") == spec.volume_name for m in mounts):
        container["volumeMounts"] = [
            *mounts, {"name": spec.volume_name, "readOnly": True, "mountPath": spec.mount_path}
        ]


def _volume(spec: _ModeSpec, config: WebhookConfig) -> dict[str, Any]:
    projected: dict[str, Any] = {
        "sources": [{"serviceAccountToken": {
            "audience": spec.audience, "expirationSeconds": spec.expiration, "path": spec.token_path,
        }}]
    }
    if config.set_default_mode:
        projected["defaultMode"] = DEFAULT_MODE
    return {"name": spec.volume_name, "projected": projected}


def container_identity(container: Mapping[str, Any]) -> ContainerIdentity | None:
    """Which credentials an AWS SDK in this container resolves first, judged from its env."""
    names = _env_names(container)
    if {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= names:
        return "static_env"
    if {ENV_ROLE_ARN, ENV_WEB_IDENTITY_TOKEN_FILE} <= names:
        return "irsa"
    if names & {ENV_FULL_URI, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"}:
        return "pod_identity"
    return None


def mutate_pod(
    pod: Mapping[str, Any],
    service_account: Mapping[str, Any] | None,
    *,
    association: PodIdentityAssociation | None = None,
    agent_addon_installed: bool = True,
    config: WebhookConfig | None = None,
    namespace: str | None = None,
    rng: random.Random | None = None,
) -> MutationResult:
    """Mutate ``pod`` (a Pod as the API returns it) for Pod Identity and/or IRSA.

    ``service_account``: the pod's ServiceAccount object (None if unknown); ``association``: the
    Pod Identity association for the pod's namespace/ServiceAccount, if any;
    ``agent_addon_installed``: whether the cluster has the eks-pod-identity-agent add-on;
    ``namespace``: the admission request's namespace when the object carries none.
    """
    config = config or WebhookConfig()
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    ns = namespace or meta.get("namespace") or "default"
    sa_name = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
    pod_name = meta.get("name") or meta.get("generateName") or "<unnamed>"
    where = f"pod {ns}/{pod_name}"
    unchanged = copy.deepcopy(dict(pod))

    if SKIP_WEBHOOK_LABEL in (meta.get("labels") or {}):
        reason = f"{where}: labelled {SKIP_WEBHOOK_LABEL}; not mutated"
        return MutationResult(unchanged, [], reasons=(reason,))
    if association is not None and (association.namespace, association.service_account) != (ns, sa_name):
        raise ValueError(f"association is for {association.namespace}/{association.service_account}, "
                         f"pod uses {ns}/{sa_name}")

    warnings: list[str] = []
    reasons: list[str] = []
    sa_ann = _annotations(service_account)
    pod_ann = meta.get("annotations") or {}
    role_arn = sa_ann.get(config.annotation(ROLE_ARN)) or None
    if role_arn and not _ROLE_ARN_RE.match(role_arn):
        warnings.append(f"{config.annotation(ROLE_ARN)} is not a valid role ARN: {role_arn}")

    audience = sa_ann.get(config.annotation(AUDIENCE), config.default_audience)
    regional_sts = config.default_regional_sts
    if (raw := sa_ann.get(config.annotation(STS_REGIONAL_ENDPOINTS))) is not None:
        parsed = parse_go_bool(raw)
        if parsed is None:
            warnings.append(f"ignoring invalid {config.annotation(STS_REGIONAL_ENDPOINTS)}={raw!r}")
        else:
            regional_sts = parsed
    expiration = config.default_token_expiration
    for source, found in (("ServiceAccount", sa_ann), ("pod", pod_ann)):
        if (raw := found.get(config.annotation(TOKEN_EXPIRATION))) is not None:
            number = parse_go_int64(raw)
            if number is None:
                warnings.append(f"ignoring invalid {source} {config.annotation(TOKEN_EXPIRATION)}={raw!r}")
            else:
                expiration = min_token_expiration(number)

    use_pi = association is not None
    use_irsa = role_arn is not None
    if use_pi and use_irsa and config.both == "pod_identity_only":
        use_irsa = False
        reasons.append(f"{where}: ServiceAccount {ns}/{sa_name} has a Pod Identity association and "
                       f"{config.annotation(ROLE_ARN)}; the association takes precedence, IRSA not injected")
    if not use_pi and not use_irsa:
        reasons.append(
            f"{where}: ServiceAccount {ns}/{sa_name} has no Pod Identity association and no "
            f"{config.annotation(ROLE_ARN)} annotation; admitted without AWS identity (associations "
            f"apply only to pods created after them: recreate the pod)"
        )
        return MutationResult(unchanged, [], reasons=tuple(reasons), warnings=tuple(warnings))

    specs: list[_ModeSpec] = []
    if use_irsa:
        assert role_arn is not None
        specs.append(_ModeSpec("irsa", config.irsa_volume_name, config.irsa_mount_path,
                               config.irsa_token_path, audience, expiration,
                               ((ENV_ROLE_ARN, role_arn), (ENV_WEB_IDENTITY_TOKEN_FILE, ""))))
    if use_pi:
        pi_expiration = expiration
        if config.pod_identity_jitter and pi_expiration == DEFAULT_TOKEN_EXPIRATION:
            pi_expiration = (rng or random.Random()).randint(DEFAULT_MIN_TOKEN_EXPIRATION,
                                                            DEFAULT_TOKEN_EXPIRATION)
        specs.append(_ModeSpec("pod_identity", config.pod_identity_volume_name,
                               config.pod_identity_mount_path, config.pod_identity_token_path,
                               config.pod_identity_audience, pi_expiration,
                               ((ENV_FULL_URI, config.pod_identity_full_uri), (ENV_AUTH_TOKEN_FILE, ""))))
        if not agent_addon_installed:
            warnings.append(f"the {AGENT_ADDON} add-on is not installed: Pod Identity credentials "
                            f"cannot be fetched")

    new = copy.deepcopy(dict(pod))
    new_spec = new.setdefault("spec", {})
    skip = containers_to_skip(pod_ann, config)
    for key in ("initContainers", "containers"):
        for container in new_spec.get(key) or []:
            if not isinstance(container, dict) or container.get("name") in skip:
                continue
            for mode_spec in specs:
                token_file = _token_file(mode_spec.mount_path, mode_spec.token_path, pod)
                _mutate_container(container, mode_spec, token_file, regional_sts, config.region)
    volumes = list(new_spec.get("volumes") or [])
    for mode_spec in reversed(specs):  # IRSA volume ends up first, as on an IRSA-only pod
        if not any(isinstance(v, Mapping) and v.get("name") == mode_spec.volume_name for v in volumes):
            volumes.insert(0, _volume(mode_spec, config))
    new_spec["volumes"] = volumes
    if use_pi and config.pod_identity_label:
        new.setdefault("metadata", {}).setdefault("labels", {})[POD_IDENTITY_LABEL] = "enabled"

    per_container = {
        c.get("name", "?"): container_identity(c)
        for key in ("initContainers", "containers") for c in new_spec.get(key) or []
        if isinstance(c, Mapping)
    }
    injected = tuple(s.mode for s in specs)
    identity: Mode = "irsa" if use_irsa else "pod_identity"
    effective_role = role_arn if use_irsa else association.effective_role_arn if association else None
    if use_pi and use_irsa:
        assert association is not None
        reasons.append(
            f"{where}: ServiceAccount {ns}/{sa_name} has both a Pod Identity association "
            f"(role {association.effective_role_arn}) and IRSA role {role_arn}; both were injected and "
            f"AWS SDKs try web identity before container credentials, so the pod uses IRSA ({role_arn})"
        )
    if skip:
        reasons.append(f"{where}: containers skipped by annotation: {', '.join(sorted(skip))}")
    return MutationResult(
        pod=new,
        patch=diff(pod, new),
        injected=injected,
        identity=identity,
        role_arn=effective_role,
        container_identities=per_container,
        reasons=tuple(reasons),
        warnings=tuple(warnings),
    )
