"""``eksctl get addon`` and ``eksctl create addon`` through the EKS add-on API."""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import ClientError

from podid.eksctl import logs
from podid.eksctl.errors import EksctlError
from podid.eksctl.session import Ctl, error_code

WAIT_SECONDS = 120.0


def summaries(ctl: Ctl, name: str | None) -> list[dict[str, Any]]:
    eks = ctl.aws("eks")
    ctl.describe()
    wanted = [name] if name else eks.list_addons(clusterName=ctl.cluster)["addons"]
    out = []
    for addon_name in wanted:
        try:
            addon = eks.describe_addon(clusterName=ctl.cluster, addonName=addon_name)["addon"]
        except ClientError as err:
            if error_code(err) == "ResourceNotFoundException":
                raise EksctlError(f"could not find addon \"{addon_name}\" for cluster "
                                  f"\"{ctl.cluster}\": {err}") from err
            raise
        out.append({"Name": addon["addonName"], "Version": addon.get("addonVersion", ""),
                    "Status": addon.get("status", ""),
                    "Issues": len((addon.get("health") or {}).get("issues") or []),
                    "IAMRole": addon.get("serviceAccountRoleArn", ""), "NewerVersion": "",
                    "ConfigurationValues": addon.get("configurationValues", ""),
                    "PodIdentityAssociations": addon.get("podIdentityAssociations", [])})
    return out


def installed(ctl: Ctl, name: str) -> bool:
    try:
        ctl.aws("eks").describe_addon(clusterName=ctl.cluster, addonName=name)
    except ClientError as err:
        if error_code(err) == "ResourceNotFoundException":
            return False
        raise
    return True


def create(ctl: Ctl, name: str, version: str | None = None, wait: bool = True) -> None:
    eks = ctl.aws("eks")
    ctl.describe()
    logs.info(f"creating addon: {name}")
    params: dict[str, Any] = {"clusterName": ctl.cluster, "addonName": name}
    if version and version != "latest":
        params["addonVersion"] = version
    try:
        eks.create_addon(**params)
    except ClientError as err:
        raise EksctlError(f"failed to create addon \"{name}\": {err}") from err
    if not wait:
        logs.info(f"successfully initiated addon creation: {name}")
        return
    deadline = time.monotonic() + WAIT_SECONDS
    status = ""
    while time.monotonic() < deadline:
        status = eks.describe_addon(clusterName=ctl.cluster, addonName=name)["addon"]["status"]
        if status == "ACTIVE":
            logs.info(f"addon \"{name}\" active")
            return
        if status in ("CREATE_FAILED", "DEGRADED"):
            break
        time.sleep(1)
    raise EksctlError(f"addon \"{name}\" did not become ACTIVE (last status {status or 'unknown'})")
