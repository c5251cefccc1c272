"""`podid eksctl ...`: eksctl's IRSA and Pod Identity commands with eksctl's flags and output
(the logic lives in :mod:`podid.eksctl`; it talks to AWS only through boto3 and to the cluster only
through its Kubernetes API, so it works against podid and against real EKS alike)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated

import typer
from botocore.exceptions import BotoCoreError, ClientError

from podid.eksctl import EksctlError, addons, irsa, migrate, oidc, output, pia
from podid.eksctl.session import Ctl

app = typer.Typer(help="eksctl's iamserviceaccount / podidentityassociation / addon flows.",
                  no_args_is_help=True)
create = typer.Typer(help="Create resource(s).", no_args_is_help=True)
get = typer.Typer(help="Get resource(s).", no_args_is_help=True)
delete = typer.Typer(help="Delete resource(s).", no_args_is_help=True)
utils = typer.Typer(help="Various utils.", no_args_is_help=True)
app.add_typer(create, name="create")
app.add_typer(get, name="get")
app.add_typer(delete, name="delete")
app.add_typer(utils, name="utils")

Cluster = Annotated[str, typer.Option("--cluster", "-c", help="EKS cluster name")]
Region = Annotated[str | None, typer.Option("--region", "-r", help="AWS region")]
Output = Annotated[str, typer.Option("--output", "-o",
        help="specifies the output format (valid option: table, json, yaml)")]
Approve = Annotated[bool, typer.Option("--approve", help="Apply the changes")]
SaNamespace = Annotated[str, typer.Option("--namespace", help="Namespace the service account belongs to")]
ServiceAccountName = Annotated[str, typer.Option("--service-account-name",
        help="Name of the service account")]
RoleName = Annotated[str, typer.Option("--role-name", help="Set a custom name for the created role")]
# --name/--namespace of iamserviceaccount and --name of addon keep eksctl's per-command help inline.


def _key(key: str) -> Callable[[dict[str, object]], object]:
    return lambda item: item[key]


def _arns(values: list[str] | None) -> list[str]:
    """Repeated and comma-separated ARN options, as eksctl takes them."""
    return [a for arg in values or [] for a in arg.split(",") if a]


def _run(action: Callable[[], None]) -> None:
    try:
        action()
    except EksctlError as err:
        print(f"Error: {err}", file=sys.stderr)
        raise typer.Exit(1) from err
    except (ClientError, BotoCoreError) as err:
        print(f"Error: {err}", file=sys.stderr)
        raise typer.Exit(1) from err


@create.command("iamserviceaccount")
def create_iamserviceaccount(
    cluster: Cluster = "",
    name: Annotated[str, typer.Option("--name", help="name of the iamserviceaccount to create")] = "",
    namespace: Annotated[str, typer.Option("--namespace",
        help="namespace where to create the iamserviceaccount")] = "default",
    attach_policy_arn: Annotated[list[str] | None, typer.Option("--attach-policy-arn",
        help="ARN of the policy where to create the iamserviceaccount")] = None,
    role_name: RoleName = "",
    role_only: Annotated[bool, typer.Option("--role-only",
        help="disable service account creation, only the role will be created")] = False,
    override: Annotated[bool, typer.Option("--override-existing-serviceaccounts",
        help="create IAM roles for existing serviceaccounts and update the serviceaccount")] = False,
    approve: Approve = False,
    region: Region = None,
) -> None:
    """Create an iamserviceaccount - AWS IAM role bound to a Kubernetes service account."""
    arns = _arns(attach_policy_arn)
    spec = irsa.IrsaSpec(namespace, name, arns, role_name or None, role_only, override)
    _run(lambda: irsa.create(Ctl(cluster, region), spec, approve))


@get.command("iamserviceaccount")
def get_iamserviceaccount(
    cluster: Cluster = "",
    namespace: Annotated[str, typer.Option("--namespace",
        help="namespace to look for iamserviceaccount")] = "",
    name: Annotated[str, typer.Option("--name", help="name of iamserviceaccount to get")] = "",
    out: Output = "table",
    region: Region = None,
) -> None:
    """Get iamserviceaccount(s)."""
    columns: list[output.Column] = [("NAMESPACE", lambda s: s["metadata"]["namespace"]),
                                    ("NAME", lambda s: s["metadata"]["name"]),
                                    ("ROLE ARN", lambda s: s["status"]["roleARN"])]
    _run(lambda: print(output.render(irsa.listing(Ctl(cluster, region), namespace, name), out, columns,
                                     "iamserviceaccounts"), end=""))


@delete.command("iamserviceaccount")
def delete_iamserviceaccount(
    cluster: Cluster = "",
    name: Annotated[str, typer.Option("--name", help="name of the iamserviceaccount to delete")] = "",
    namespace: Annotated[str, typer.Option("--namespace",
        help="namespace where to delete the iamserviceaccount")] = "default",
    region: Region = None,
) -> None:
    """Delete an IAM service account."""
    _run(lambda: irsa.delete(Ctl(cluster, region), namespace, name))


@create.command("podidentityassociation")
def create_podidentityassociation(
    cluster: Cluster = "",
    namespace: SaNamespace = "",
    service_account: ServiceAccountName = "",
    role_arn: Annotated[str, typer.Option("--role-arn",
        help="ARN of the IAM role to be associated with the service account")] = "",
    role_name: RoleName = "",
    policy_arns: Annotated[list[str] | None, typer.Option("--permission-policy-arns",
        help="List of ARNs of the IAM permission policies to attach")] = None,
    region: Region = None,
) -> None:
    """Create a pod identity association."""
    arns = tuple(_arns(policy_arns))
    spec = pia.PiaSpec(namespace, service_account, role_arn, role_name, arns)
    _run(lambda: pia.create(Ctl(cluster, region), spec))


@get.command("podidentityassociation")
def get_podidentityassociation(
    cluster: Cluster = "",
    namespace: SaNamespace = "",
    service_account: ServiceAccountName = "",
    out: Output = "table",
    region: Region = None,
) -> None:
    """Get pod identity associations."""
    columns: list[output.Column] = [(h, _key(k)) for h, k in (
        ("ASSOCIATION ARN", "AssociationARN"), ("NAMESPACE", "Namespace"),
        ("SERVICE ACCOUNT NAME", "ServiceAccountName"), ("IAM ROLE ARN", "RoleARN"),
        ("OWNER ARN", "OwnerARN"))]
    _run(lambda: print(output.render(pia.summaries(Ctl(cluster, region), namespace, service_account),
                                     out, columns, "podidentityassociations"), end=""))


@delete.command("podidentityassociation")
def delete_podidentityassociation(
    cluster: Cluster = "",
    namespace: SaNamespace = "",
    service_account: ServiceAccountName = "",
    region: Region = None,
) -> None:
    """Delete a pod identity association."""
    _run(lambda: pia.delete(Ctl(cluster, region), namespace, service_account))


@get.command("addon")
def get_addon(
    cluster: Cluster = "",
    name: Annotated[str, typer.Option("--name", help="Addon name")] = "",
    out: Output = "table",
    region: Region = None,
) -> None:
    """Get an Addon."""
    columns: list[output.Column] = [(h, _key(k)) for h, k in (
        ("NAME", "Name"), ("VERSION", "Version"), ("STATUS", "Status"), ("ISSUES", "Issues"),
        ("IAMROLE", "IAMRole"), ("UPDATE AVAILABLE", "NewerVersion"),
        ("CONFIGURATION VALUES", "ConfigurationValues"))]
    columns.append(("POD IDENTITY ASSOCIATION ROLES", lambda s: ",".join(s["PodIdentityAssociations"])))
    _run(lambda: print(output.render(addons.summaries(Ctl(cluster, region), name or None), out, columns,
                                     "addons"), end=""))


@create.command("addon")
def create_addon(
    cluster: Cluster = "",
    name: Annotated[str, typer.Option("--name", help="Add-on name")] = "",
    version: Annotated[str, typer.Option("--version", help="Add-on version")] = "",
    no_wait: Annotated[bool, typer.Option("--no-wait",
        help="do not wait for the add-on to be ACTIVE")] = False,
    region: Region = None,
) -> None:
    """Create an Addon."""
    def action() -> None:
        if not name:
            raise EksctlError("--name is required")
        addons.create(Ctl(cluster, region), name, version or None, wait=not no_wait)
    _run(action)


@utils.command("associate-iam-oidc-provider")
def associate_iam_oidc_provider(
    cluster: Cluster = "", approve: Approve = False, region: Region = None
) -> None:
    """Setup IAM OIDC provider for a cluster to enable IAM roles for pods."""
    _run(lambda: oidc.associate(Ctl(cluster, region), approve))


@utils.command("migrate-to-pod-identity")
def migrate_to_pod_identity(
    cluster: Cluster = "",
    approve: Approve = False,
    remove_oidc: Annotated[bool, typer.Option("--remove-oidc-provider-trust-relationship",
        help="Remove existing IRSAv1 OIDC provided entities")] = False,
    region: Region = None,
) -> None:
    """Migrates all IRSA related config for a cluster to an equivalent pod identity associations config."""
    _run(lambda: migrate.migrate(Ctl(cluster, region), approve, remove_oidc))
