"""EKS API handlers (rest-json, botocore ``eks`` model): clusters, the pod identity agent add-on,
Pod Identity associations. Every call is judged by ``ctx.authorize`` on the cluster, add-on or
association ARN; outputs are the model's shapes as dicts (timestamps as datetimes).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from podid.eks import addons, associations, errors, ids
from podid.eks.repo import (
    AddonRecord,
    AlreadyExists,
    ClusterRecord,
    NewAssociation,
    decode_page_token,
    encode_page_token,
)
from podid.eks.service import SUPPORTED_VERSIONS, EksService
from podid.gateway.context import CallContext
from podid.gateway.registry import handler
from podid.iam.tagkeys import request_tag_keys

SERVICE = "eks"
PASSED_TO = "pods.eks.amazonaws.com"


def service(ctx: CallContext) -> EksService:
    """The process's :class:`EksService` (created on first use if ``install`` did not run)."""
    from podid.eks.server import service_for

    return service_for(ctx.app)


def _tag_context(tags: dict[str, str]) -> dict[str, Any]:
    return dict(request_tag_keys(tags))


def _page(params: dict[str, Any]) -> tuple[int, int]:
    """``(limit, after_pk)`` from maxResults/nextToken."""
    limit = params.get("maxResults")
    if limit is None:
        limit = 100
    if not isinstance(limit, int) or not 1 <= limit <= 100:
        raise errors.invalid_parameter("maxResults must be between 1 and 100")
    token = params.get("nextToken")
    after = 0
    if token:
        decoded = decode_page_token(str(token))
        if decoded is None:
            raise errors.invalid_parameter("The nextToken provided is invalid")
        after = decoded
    return limit, after


def _cluster(ctx: CallContext, name: Any, action: str) -> tuple[EksService, ClusterRecord]:
    """Authorize ``action`` on the cluster ARN, then load the cluster (404 if absent)."""
    svc = service(ctx)
    name = str(name or "")
    ctx.authorize(action, ids.cluster_arn(ctx.region, ctx.caller.account if ctx.caller.kind != "anonymous"
                                          else svc.account_id, name))
    return svc, svc.cluster(ctx.region, name)


# -- clusters ------------------------------------------------------------------------------------
def cluster_output(svc: EksService, c: ClusterRecord) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": c.name,
        "arn": c.arn,
        "createdAt": dt.datetime.fromtimestamp(c.created_at, dt.UTC),
        "version": c.version,
        "identity": {"oidc": {"issuer": svc.issuer(c)}},
        "status": c.status,
        "platformVersion": "eks.1",
        "tags": dict(c.tags),
        "id": c.cluster_id,
        "resourcesVpcConfig": {"subnetIds": [], "securityGroupIds": [], "endpointPublicAccess": True,
                               "endpointPrivateAccess": False, "publicAccessCidrs": ["0.0.0.0/0"]},
        "kubernetesNetworkConfig": {"serviceIpv4Cidr": "10.100.0.0/16", "ipFamily": "ipv4"},
        "accessConfig": {"authenticationMode": "API_AND_CONFIG_MAP"},
    }
    endpoint = svc.endpoint_for(c)
    if endpoint:
        out["endpoint"] = endpoint
    ca = svc.certificate_authority_for(c)
    if ca:
        out["certificateAuthority"] = {"data": ca}
    if c.role_arn:
        out["roleArn"] = c.role_arn
    return out


@handler(SERVICE, "CreateCluster")
def create_cluster(ctx: CallContext) -> dict[str, Any]:
    svc = service(ctx)
    p = ctx.params
    name = str(p.get("name") or "")
    tags = associations.check_tags(p.get("tags"))
    ctx.authorize("eks:CreateCluster", ids.cluster_arn(ctx.region, svc.account_id, name),
                  context=_tag_context(tags))
    role_arn = p.get("roleArn") or None
    if role_arn is not None:
        associations.check_role_arn(role_arn, "roleArn")
        ctx.authorize("iam:PassRole", role_arn, context={"iam:PassedToService": "eks.amazonaws.com"})
    version = p.get("version")
    if version is not None and version not in SUPPORTED_VERSIONS:
        raise errors.invalid_parameter(f"unsupported Kubernetes version {version}")
    record = svc.create_cluster(ctx.region, name, version=version, role_arn=role_arn, tags=tags)
    return {"cluster": cluster_output(svc, record)}


@handler(SERVICE, "DescribeCluster")
def describe_cluster(ctx: CallContext) -> dict[str, Any]:
    svc, c = _cluster(ctx, ctx.params.get("name"), "eks:DescribeCluster")
    return {"cluster": cluster_output(svc, c)}


@handler(SERVICE, "ListClusters")
def list_clusters(ctx: CallContext) -> dict[str, Any]:
    svc = service(ctx)
    ctx.authorize("eks:ListClusters", f"arn:aws:eks:{ctx.region}:{svc.account_id}:cluster/*")
    limit, after = _page(ctx.params)
    rows = svc.repo.list_clusters(svc.account_id, ctx.region, after_pk=after, limit=limit + 1)
    out: dict[str, Any] = {"clusters": [c.name for c in rows[:limit]]}
    if len(rows) > limit:
        out["nextToken"] = encode_page_token(rows[limit - 1].pk)
    return out


@handler(SERVICE, "DeleteCluster")
def delete_cluster(ctx: CallContext) -> dict[str, Any]:
    svc, c = _cluster(ctx, ctx.params.get("name"), "eks:DeleteCluster")
    out = cluster_output(svc, c)
    svc.delete_cluster(c)
    out["status"] = "DELETING"
    return {"cluster": out}


# -- add-ons -------------------------------------------------------------------------------------
def _addon_out(svc: EksService, c: ClusterRecord, a: AddonRecord) -> dict[str, Any]:
    status, issues = addons.addon_status(svc.repo.heartbeats(c.pk), svc.clock())
    return addons.addon_output(a, c.name, status, issues)


def _load_addon(svc: EksService, c: ClusterRecord, name: str) -> AddonRecord:
    found = svc.repo.get_addon(c.pk, name)
    if found is None:
        raise errors.not_found(f"No addon: {name} found in cluster: {c.name}")
    return found


@handler(SERVICE, "CreateAddon")
def create_addon(ctx: CallContext) -> dict[str, Any]:
    p = ctx.params
    name = str(p.get("addonName") or "")
    tags = associations.check_tags(p.get("tags"))
    svc = service(ctx)
    cluster_name = str(p.get("clusterName") or "")
    ctx.authorize("eks:CreateAddon", ids.cluster_arn(ctx.region, svc.account_id, cluster_name),
                  context=_tag_context(tags))
    c = svc.cluster(ctx.region, cluster_name)
    if name != addons.POD_IDENTITY_AGENT:
        raise errors.invalid_parameter(addons.unsupported_addon_message(name, c.version))
    version = p.get("addonVersion") or addons.DEFAULT_AGENT_VERSION
    if version not in addons.AGENT_VERSIONS:
        raise errors.invalid_parameter("Addon version specified is not supported")
    sa_role = p.get("serviceAccountRoleArn") or None
    if sa_role is not None:
        associations.check_role_arn(sa_role, "serviceAccountRoleArn")
        ctx.authorize("iam:PassRole", sa_role, context={"iam:PassedToService": "eks.amazonaws.com"})
    if svc.repo.get_addon(c.pk, name) is not None:
        raise errors.in_use("Addon already exists.")
    arn = ids.addon_arn(ctx.region, c.account_id, c.name, name)
    created: list[str] = []
    for item in p.get("podIdentityAssociations") or []:
        assoc = _create_association(ctx, svc, c, "kube-system", item.get("serviceAccount"),
                                    item.get("roleArn"), owner_arn=arn)
        created.append(assoc.arn)
    try:
        record = svc.repo.create_addon(c.pk, name=name, version=version, arn=arn,
                                       service_account_role_arn=sa_role,
                                       configuration_values=p.get("configurationValues") or None,
                                       pod_identity_associations=created, tags=tags)
    except AlreadyExists as exc:
        raise errors.in_use("Addon already exists.") from exc
    return {"addon": _addon_out(svc, c, record)}


@handler(SERVICE, "DescribeAddon")
def describe_addon(ctx: CallContext) -> dict[str, Any]:
    svc = service(ctx)
    p = ctx.params
    c = svc.cluster(ctx.region, str(p.get("clusterName") or ""))
    a = svc.repo.get_addon(c.pk, str(p.get("addonName") or ""))
    ctx.authorize("eks:DescribeAddon", a.arn if a else
                  f"arn:aws:eks:{ctx.region}:{c.account_id}:addon/{c.name}/{p.get('addonName')}/*")
    if a is None:
        raise errors.not_found(f"No addon: {p.get('addonName')} found in cluster: {c.name}")
    return {"addon": _addon_out(svc, c, a)}


@handler(SERVICE, "ListAddons")
def list_addons(ctx: CallContext) -> dict[str, Any]:
    svc, c = _cluster(ctx, ctx.params.get("clusterName"), "eks:ListAddons")
    return {"addons": [a.name for a in svc.repo.list_addons(c.pk)]}


@handler(SERVICE, "DeleteAddon")
def delete_addon(ctx: CallContext) -> dict[str, Any]:
    svc = service(ctx)
    p = ctx.params
    c = svc.cluster(ctx.region, str(p.get("clusterName") or ""))
    a = svc.repo.get_addon(c.pk, str(p.get("addonName") or ""))
    ctx.authorize("eks:DeleteAddon", a.arn if a else
                  f"arn:aws:eks:{ctx.region}:{c.account_id}:addon/{c.name}/{p.get('addonName')}/*")
    if a is None:
        raise errors.not_found(f"No addon: {p.get('addonName')} found in cluster: {c.name}")
    out = _addon_out(svc, c, a)
    if not p.get("preserve"):
        for arn in a.pod_identity_associations:
            assoc = svc.repo.get_association(c.pk, arn.rsplit("/", 1)[-1])
            if assoc is not None and assoc.owner_arn == a.arn:
                svc.repo.delete_association(assoc.pk)
    svc.repo.delete_addon(a.pk)
    out["status"] = "DELETING"
    return {"addon": out}


@handler(SERVICE, "DescribeAddonVersions")
def describe_addon_versions(ctx: CallContext) -> dict[str, Any]:
    ctx.authorize("eks:DescribeAddonVersions", "*")
    p = ctx.params
    name = p.get("addonName")
    k8s = p.get("kubernetesVersion")
    versions = [k8s] if k8s in SUPPORTED_VERSIONS else ([] if k8s else list(SUPPORTED_VERSIONS))
    if (name and name != addons.POD_IDENTITY_AGENT) or not versions:
        return {"addons": []}
    return {"addons": [addons.addon_versions_output(versions)]}


# -- Pod Identity associations -------------------------------------------------------------------
def _check_pass_role(ctx: CallContext, svc: EksService, c: ClusterRecord, role_arn: Any) -> str:
    account, name = associations.check_role_arn(role_arn, "roleArn")
    if account != c.account_id:
        raise errors.invalid_parameter(
            f"The roleArn must be an IAM role in the cluster's account {c.account_id}: {role_arn}")
    ctx.authorize("iam:PassRole", role_arn, context={"iam:PassedToService": PASSED_TO})
    if ctx.app.store.get_role(account, name) is None:
        raise errors.invalid_parameter(f"Role {role_arn} does not exist")
    return str(role_arn)


def _create_association(ctx: CallContext, svc: EksService, c: ClusterRecord, namespace: Any,
                        service_account: Any, role_arn: Any, *, target_role_arn: Any = None,
                        disable_session_tags: bool = False, policy: Any = None,
                        tags: dict[str, str] | None = None, owner_arn: str | None = None) -> Any:
    namespace, service_account = associations.check_subject(namespace, service_account)
    role = _check_pass_role(ctx, svc, c, role_arn)
    target = None
    if target_role_arn:
        associations.check_role_arn(target_role_arn, "targetRoleArn")
        target = str(target_role_arn)
    policy = associations.compact_policy(associations.check_policy(policy, disable_session_tags))
    taken = svc.repo.find_association(c.pk, namespace, service_account)
    if taken is not None:
        raise errors.in_use(f"Association already exists: {taken.association_id}")
    assoc_id = ids.new_association_id()
    new = NewAssociation(
        association_id=assoc_id, arn=ids.association_arn(c.region, c.account_id, c.name, assoc_id),
        namespace=namespace, service_account=service_account, role_arn=role, target_role_arn=target,
        external_id=associations.new_external_id() if target else None,
        disable_session_tags=disable_session_tags, policy=policy, owner_arn=owner_arn, tags=tags or {})
    try:
        return svc.repo.create_association(c.pk, new)
    except AlreadyExists as exc:
        raise errors.in_use(f"Association already exists: {exc.existing}") from exc


def _load_association(ctx: CallContext, action: str) -> tuple[EksService, ClusterRecord, Any]:
    svc = service(ctx)
    p = ctx.params
    cluster_name = str(p.get("clusterName") or "")
    assoc_id = str(p.get("associationId") or "")
    arn = ids.association_arn(ctx.region, svc.account_id, cluster_name, assoc_id)
    ctx.authorize(action, arn)
    c = svc.cluster(ctx.region, cluster_name)
    found = svc.repo.get_association(c.pk, assoc_id) if ids.ASSOCIATION_ID.fullmatch(assoc_id) else None
    if found is None:
        raise errors.not_found(
            f"No Pod Identity Association found with id {assoc_id} in cluster {cluster_name}")
    return svc, c, found


@handler(SERVICE, "CreatePodIdentityAssociation")
def create_pod_identity_association(ctx: CallContext) -> dict[str, Any]:
    p = ctx.params
    svc = service(ctx)
    cluster_name = str(p.get("clusterName") or "")
    tags = associations.check_tags(p.get("tags"))
    ctx.authorize("eks:CreatePodIdentityAssociation",
                  ids.cluster_arn(ctx.region, svc.account_id, cluster_name), context=_tag_context(tags))
    c = svc.cluster(ctx.region, cluster_name)
    assoc = _create_association(
        ctx, svc, c, p.get("namespace"), p.get("serviceAccount"), p.get("roleArn"),
        target_role_arn=p.get("targetRoleArn"), disable_session_tags=bool(p.get("disableSessionTags")),
        policy=p.get("policy"), tags=tags)
    return {"association": associations.association_output(assoc, c.name)}


@handler(SERVICE, "DescribePodIdentityAssociation")
def describe_pod_identity_association(ctx: CallContext) -> dict[str, Any]:
    _svc, c, assoc = _load_association(ctx, "eks:DescribePodIdentityAssociation")
    return {"association": associations.association_output(assoc, c.name)}


@handler(SERVICE, "ListPodIdentityAssociations")
def list_pod_identity_associations(ctx: CallContext) -> dict[str, Any]:
    p = ctx.params
    svc, c = _cluster(ctx, p.get("clusterName"), "eks:ListPodIdentityAssociations")
    limit, after = _page(p)
    rows = svc.repo.list_associations(c.pk, namespace=p.get("namespace") or None,
                                      service_account=p.get("serviceAccount") or None,
                                      after_pk=after, limit=limit + 1)
    out: dict[str, Any] = {"associations": [associations.summary_output(a, c.name) for a in rows[:limit]]}
    if len(rows) > limit:
        out["nextToken"] = encode_page_token(rows[limit - 1].pk)
    return out


@handler(SERVICE, "UpdatePodIdentityAssociation")
def update_pod_identity_association(ctx: CallContext) -> dict[str, Any]:
    svc, c, assoc = _load_association(ctx, "eks:UpdatePodIdentityAssociation")
    p = ctx.params
    changes: dict[str, Any] = {}
    if p.get("roleArn") and p["roleArn"] != assoc.role_arn:
        changes["role_arn"] = _check_pass_role(ctx, svc, c, p["roleArn"])
    if "targetRoleArn" in p and p["targetRoleArn"] is not None:
        target = p["targetRoleArn"]
        if target == "":
            changes.update(target_role_arn=None, external_id=None)
        elif target != assoc.target_role_arn:
            associations.check_role_arn(target, "targetRoleArn")
            changes.update(target_role_arn=target,
                           external_id=assoc.external_id or associations.new_external_id())
    disable = assoc.disable_session_tags
    if p.get("disableSessionTags") is not None:
        disable = bool(p["disableSessionTags"])
        changes["disable_session_tags"] = disable
    policy = assoc.policy
    if "policy" in p and p["policy"] is not None:
        policy = associations.compact_policy(associations.check_policy(p["policy"], disable))
        changes["policy"] = policy
    elif policy and not disable:
        raise errors.invalid_parameter("A policy can only be specified when disableSessionTags is true.")
    if not changes:
        return {"association": associations.association_output(assoc, c.name)}
    updated = svc.repo.update_association(assoc.pk, changes)
    return {"association": associations.association_output(updated, c.name)}


@handler(SERVICE, "DeletePodIdentityAssociation")
def delete_pod_identity_association(ctx: CallContext) -> dict[str, Any]:
    svc, c, assoc = _load_association(ctx, "eks:DeletePodIdentityAssociation")
    svc.repo.delete_association(assoc.pk)
    return {"association": associations.association_output(assoc, c.name)}
