"""`podid terraform provider-block`: the ``provider "aws"`` block that points Terraform at podid.

The block names every endpoint ``podid up`` serves that the hashicorp/aws provider has an
``endpoints`` key for (:data:`ENDPOINTS`: IAM, STS, EKS and the data plane; EKS Auth has no Terraform
resources, so no key), path-style S3, the region, and credentials from the state directory
(``shared_credentials_files`` + ``profile``: the secret stays in ``DIR/credentials``, never in the
printed HCL). ``--state DIR`` reads ``DIR/server.json`` (written by ``podid up --state DIR``) for the
URL and region; ``--endpoint URL`` overrides the URL, or stands alone (then credentials come from
wherever the provider finds them: environment, profile).

Save the output as ``podid_provider.tf`` next to your ``*.tf`` files, or as ``podid_override.tf``
when your configuration already has a ``provider "aws"`` block (Terraform merges override files
into it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer

from podid.cli.server import DEFAULT_STATE, PROFILE, SERVER_FILE

app = typer.Typer(help="Terraform against podid.", no_args_is_help=True)

#: botocore service name served by `podid up` -> the hashicorp/aws provider's ``endpoints`` key.
ENDPOINTS: dict[str, str] = {
    "iam": "iam",
    "sts": "sts",
    "eks": "eks",
    "s3": "s3",
    "sqs": "sqs",
    "secretsmanager": "secretsmanager",
    "dynamodb": "dynamodb",
    "kms": "kms",
    "cloudwatch": "cloudwatch",
    "logs": "logs",
}


def hcl_string(value: str) -> str:
    """A quoted HCL string literal: JSON escapes (valid in HCL) plus escaped template sequences."""
    return json.dumps(value, ensure_ascii=False).replace("${", "$${").replace("%{", "%%{")


def provider_block(url: str, region: str, credentials_file: Path | None = None,
                   profile: str = PROFILE) -> str:
    """The HCL text of the ``provider "aws"`` block for a podid at ``url``."""
    settings: list[tuple[str, str]] = [("region", hcl_string(region))]
    if credentials_file is not None:
        settings += [("shared_credentials_files", f"[{hcl_string(str(credentials_file))}]"),
                     ("profile", hcl_string(profile))]
    settings += [(name, "true") for name in ("skip_credentials_validation", "skip_requesting_account_id",
                                             "skip_metadata_api_check", "skip_region_validation",
                                             "s3_use_path_style")]
    width = max(len(k) for k, _ in settings)
    lines = ['provider "aws" {']
    lines += [f"  {k.ljust(width)} = {v}" for k, v in settings]
    lines += ["", "  endpoints {"]
    keys = sorted(ENDPOINTS.values())
    key_width = max(len(k) for k in keys)
    lines += [f"    {k.ljust(key_width)} = {hcl_string(url)}" for k in keys]
    lines += ["  }", "}"]
    return "\n".join(lines) + "\n"


def _server_info(state_dir: Path) -> dict[str, Any]:
    try:
        info = json.loads((state_dir / SERVER_FILE).read_text())
    except FileNotFoundError:
        typer.echo(f"no podid state in {state_dir} (run: podid up --state {state_dir})", err=True)
        raise typer.Exit(1) from None
    except (OSError, ValueError) as exc:
        typer.echo(f"cannot read {state_dir / SERVER_FILE}: {exc}", err=True)
        raise typer.Exit(1) from None
    if not isinstance(info, dict) or not isinstance(info.get("url"), str):
        typer.echo(f"{state_dir / SERVER_FILE} has no server URL", err=True)
        raise typer.Exit(1)
    return info


@app.command("provider-block")
def provider_block_command(
    state: Annotated[Path | None, typer.Option(
        "--state", help="State directory of `podid up --state DIR` (URL, region, credentials); "
        f"default {DEFAULT_STATE} unless --endpoint is given.")] = None,
    endpoint: Annotated[str | None, typer.Option(
        "--endpoint", help="podid's URL (default: the one in STATE/server.json).")] = None,
    region: Annotated[str | None, typer.Option(
        "--region", help="Region (default: the server's, else us-east-1).")] = None,
) -> None:
    """Print the provider "aws" block pointing every endpoint podid serves at podid."""
    info: dict[str, Any] = {}
    credentials: Path | None = None
    if state is not None or endpoint is None:
        state_dir = (state or Path(DEFAULT_STATE)).resolve()
        info = _server_info(state_dir)
        credentials = state_dir / "credentials"
        if not credentials.is_file():
            typer.echo(f"no credentials in {state_dir} (run: podid up --state {state_dir})", err=True)
            raise typer.Exit(1)
    url = endpoint or str(info["url"])
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        typer.echo(f"--endpoint must be an http:// or https:// URL, not {url!r}", err=True)
        raise typer.Exit(2)
    typer.echo(provider_block(url.rstrip("/"), region or str(info.get("region") or "us-east-1"), credentials),
               nl=False)
