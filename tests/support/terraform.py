"""The real ``terraform`` + hashicorp/aws provider from the local plugin mirror, driven against a
``podid up`` (or a clear failure when either is missing: a skip would hide missing coverage).

    tf = Terraform.for_server(workdir, server)   # writes podid_provider.tf (podid terraform provider-block)
    tf.init(); tf.apply(); tf.assert_no_changes(); tf.destroy()

The mirror is found as the issue says (``registry.terraform.io/hashicorp/aws/<v>/<os_arch>/
terraform-provider-aws*`` under a plugin directory); ``terraform init -plugin-dir`` links the
provider into ``.terraform`` (no copy of the ~700 MB binary), and ``TF_CLI_CONFIG_FILE`` points at
an empty file so no user configuration (or registry) is involved.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.server import BIN, PodidServer

PROVIDER_VERSION = "5.100.0"
MIRROR_CANDIDATES = (Path("/opt/tf-plugins"), Path("/usr/share/terraform/plugins"),
                     Path.home() / ".terraform.d" / "plugins")
TIMEOUT = 300


def find_plugin_dir() -> Path | None:
    """The plugin-mirror root holding hashicorp/aws, or None."""
    env = os.environ.get("PODID_TF_PLUGIN_DIR")
    for root in ([Path(env)] if env else []) + list(MIRROR_CANDIDATES):
        if any((root / "registry.terraform.io" / "hashicorp" / "aws").glob("*/*/terraform-provider-aws*")):
            return root
    found = subprocess.run(["find", "/", "-xdev", "-path", "*registry.terraform.io/hashicorp/aws*",
                            "-name", "terraform-provider-aws*"], capture_output=True, text=True, timeout=120)
    for line in found.stdout.splitlines():   # ROOT/registry.terraform.io/hashicorp/aws/V/OS_ARCH/binary
        return Path(line).parents[5]
    return None


def require_terraform() -> tuple[str, Path]:
    """(terraform executable, plugin dir) or pytest.fail with what is missing."""
    exe = shutil.which("terraform")
    if exe is None:
        pytest.fail("terraform (1.11) is required on PATH for tests/terraform", pytrace=False)
    plugins = find_plugin_dir()
    if plugins is None:
        pytest.fail("no local plugin mirror with registry.terraform.io/hashicorp/aws found (looked in "
                    f"$PODID_TF_PLUGIN_DIR and {', '.join(map(str, MIRROR_CANDIDATES))}); find it with "
                    "`find / -xdev -path '*registry.terraform.io/hashicorp/aws*' "
                    "-name 'terraform-provider-aws*'`", pytrace=False)
    return exe, plugins


@dataclass
class Terraform:
    """One Terraform working directory configured for one podid."""

    workdir: Path
    env: dict[str, str]
    exe: str
    plugin_dir: Path

    @classmethod
    def for_server(cls, workdir: Path, server: PodidServer) -> Terraform:
        exe, plugins = require_terraform()
        workdir.mkdir(parents=True, exist_ok=True)
        cmd = [str(BIN / "podid"), "terraform", "provider-block", "--state", str(server.state_dir)]
        block = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=60)
        (workdir / "podid_provider.tf").write_text(block.stdout)
        rc = workdir / "terraformrc"
        rc.write_text("")
        env = {k: v for k, v in server.env.items() if not k.startswith(("AWS_", "TF_"))}
        env.update(TF_CLI_CONFIG_FILE=str(rc), TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1")
        return cls(workdir, env, exe, plugins)

    def run(self, *args: str, check: bool = True,
            timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([self.exe, *args, "-no-color"], cwd=self.workdir, env=self.env,
                              capture_output=True, text=True, timeout=timeout)
        if check and done.returncode != 0:
            raise AssertionError(f"terraform {' '.join(args)} exited {done.returncode}:\n"
                                 f"{done.stdout[-6000:]}\n{done.stderr[-6000:]}")
        return done

    def init(self) -> None:
        self.run("init", "-input=false", f"-plugin-dir={self.plugin_dir}")

    def apply(self) -> str:
        return self.run("apply", "-auto-approve", "-input=false").stdout

    def assert_no_changes(self) -> None:
        """``terraform plan -detailed-exitcode`` exits 0 (2 = changes: a perpetual diff)."""
        done = self.run("plan", "-detailed-exitcode", "-input=false", check=False)
        assert done.returncode == 0, f"plan after apply is not empty (exit {done.returncode}):\n" \
                                     f"{done.stdout[-8000:]}\n{done.stderr[-4000:]}"

    def import_(self, address: str, resource_id: str) -> str:
        return self.run("import", "-input=false", address, resource_id).stdout

    def destroy(self) -> str:
        return self.run("destroy", "-auto-approve", "-input=false").stdout

    def state_list(self) -> list[str]:
        return self.run("state", "list").stdout.split()
