"""Pod spec features: unknown images, init containers, env sources, restart policies, logs -f."""

from __future__ import annotations

import subprocess
import time

from tests.runtime.conftest import KUBECTL, RuntimeCluster, manifest

from podid.runtime.mounts import shadowing

UNKNOWN = """
apiVersion: v1
kind: Pod
metadata: {name: badimage, namespace: spec}
spec:
  containers:
  - name: main
    image: registry.example.invalid/team/nope:1.0
"""


def test_unknown_image_is_err_image_pull(rtc: RuntimeCluster) -> None:
    rtc.kubectl("apply", "-f", "-", stdin=manifest("spec", UNKNOWN), check=True)
    pod = rtc.wait_pod("spec", "badimage", lambda p: "waiting" in (
        ((p.get("status") or {}).get("containerStatuses") or [{}])[0].get("state") or {})
        and p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] in ("ErrImagePull",
                                                                                  "ImagePullBackOff"))
    assert pod["status"]["phase"] == "Pending"
    out = rtc.kubectl("describe", "pod", "-n", "spec", "badimage", check=True).stdout
    assert "Error: ErrImagePull" in out
    assert 'Failed to pull image "registry.example.invalid/team/nope:1.0"' in out
    rtc.wait_pod("spec", "badimage", lambda p: p["status"]["containerStatuses"][0]["state"]
                 .get("waiting", {}).get("reason") == "ImagePullBackOff", timeout=10)
    rtc.kubectl("delete", "pod", "-n", "spec", "badimage", "--timeout=20s", check=True)


INIT_AND_ENV = """
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: spec}
data: {color: blue, script.sh: "echo from-configmap"}
---
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: spec}
stringData: {password: s3cr3t}
---
apiVersion: v1
kind: Pod
metadata: {name: staged, namespace: spec, labels: {app: staged}}
spec:
  restartPolicy: Never
  initContainers:
  - name: first
    image: busybox
    command: ["sh", "-c", "echo one > /work/order"]
    volumeMounts: [{name: work, mountPath: /work}]
  - name: second
    image: alpine:3.19
    command: ["sh", "-c", "echo two >> /work/order"]
    volumeMounts: [{name: work, mountPath: /work}]
  containers:
  - name: main
    image: python:3.11-slim
    command: ["sh", "-c"]
    args:
    - cat /work/order; echo "$POD_NAME $POD_NS $POD_UID $COLOR $PASSWORD $GREETING $APP";
      sh /config/script.sh; python -c 'import boto3; print("boto3 ok")'
    env:
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: POD_NS, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
    - {name: POD_UID, valueFrom: {fieldRef: {fieldPath: metadata.uid}}}
    - {name: APP, valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}}
    - {name: COLOR, valueFrom: {configMapKeyRef: {name: settings, key: color}}}
    - {name: PASSWORD, valueFrom: {secretKeyRef: {name: creds, key: password}}}
    - {name: GREETING, value: "hello-$(POD_NAME)"}
    volumeMounts:
    - {name: work, mountPath: /work}
    - {name: config, mountPath: /config}
  volumes:
  - {name: work, emptyDir: {}}
  - {name: config, configMap: {name: settings}}
"""


def test_init_containers_env_sources_and_volumes(rtc: RuntimeCluster) -> None:
    rtc.kubectl("apply", "-f", "-", stdin=manifest("spec", INIT_AND_ENV), check=True)
    pod = rtc.wait_phase("spec", "staged", "Succeeded", "Failed", timeout=30)
    logs = rtc.kubectl("logs", "-n", "spec", "staged", "-c", "main", check=True).stdout
    assert pod["status"]["phase"] == "Succeeded", (pod["status"], logs)
    uid = pod["metadata"]["uid"]
    assert logs.splitlines() == ["one", "two", f"staged spec {uid} blue s3cr3t hello-staged staged",
                                 "from-configmap", "boto3 ok"]
    inits = pod["status"]["initContainerStatuses"]
    assert [i["state"]["terminated"]["reason"] for i in inits] == ["Completed", "Completed"]
    if rtc.runtime.namespace_mode:
        # a mount on /work hides the host's /work: when the pod's tools (venv, python, state) live
        # there, this pod falls back to rewriting paths; elsewhere it keeps its mount namespace
        hides_tools = bool(shadowing(["/work", "/config"], rtc.runtime.protected_paths))
        described = rtc.kubectl("describe", "pod", "-n", "spec", "staged", check=True).stdout
        assert ("PathRewrite" in described) == hides_tools, described
    conds = {c["type"]: c["status"] for c in pod["status"]["conditions"]}
    assert conds["Initialized"] == "True" and conds["PodScheduled"] == "True" and conds["Ready"] == "False"


MISSING_SECRET = """
apiVersion: v1
kind: Pod
metadata: {name: nosecret, namespace: spec}
spec:
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
    env:
    - {name: X, valueFrom: {secretKeyRef: {name: absent, key: k}}}
"""


def test_missing_secret_is_create_container_config_error(rtc: RuntimeCluster) -> None:
    rtc.kubectl("apply", "-f", "-", stdin=manifest("spec", MISSING_SECRET), check=True)
    pod = rtc.wait_pod("spec", "nosecret", lambda p: p["status"].get("containerStatuses", [{}])[0]
                       .get("state", {}).get("waiting", {}).get("reason") == "CreateContainerConfigError")
    assert 'secret "absent" not found' in pod["status"]["containerStatuses"][0]["state"]["waiting"]["message"]
    rtc.kubectl("delete", "pod", "-n", "spec", "nosecret", "--timeout=20s", check=True)


CRASHER = """
apiVersion: v1
kind: Pod
metadata: {name: crasher, namespace: spec}
spec:
  restartPolicy: Always
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "echo run; exit 1"]
---
apiVersion: v1
kind: Pod
metadata: {name: retry, namespace: spec}
spec:
  restartPolicy: OnFailure
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "if [ -e $HOME/done ]; then echo second; exit 0; fi; touch $HOME/done; exit 2"]
"""


def test_restart_policies(rtc: RuntimeCluster) -> None:
    rtc.kubectl("apply", "-f", "-", stdin=manifest("spec", CRASHER), check=True)
    pod = rtc.wait_pod("spec", "crasher", lambda p: (p["status"].get("containerStatuses") or [{}])[0]
                       .get("restartCount", 0) >= 2, timeout=20)
    cs = pod["status"]["containerStatuses"][0]
    assert cs["lastState"]["terminated"]["exitCode"] == 1
    assert pod["status"]["phase"] == "Running"
    out = rtc.kubectl("describe", "pod", "-n", "spec", "crasher", check=True).stdout
    assert "Back-off restarting failed container main" in out
    pod = rtc.wait_phase("spec", "retry", "Succeeded", "Failed")
    cs = pod["status"]["containerStatuses"][0]
    assert pod["status"]["phase"] == "Succeeded" and cs["restartCount"] == 1
    assert cs["lastState"]["terminated"]["exitCode"] == 2
    assert rtc.kubectl("logs", "-n", "spec", "retry", check=True).stdout == "second\n"
    rtc.kubectl("delete", "pod", "-n", "spec", "crasher", "--timeout=20s", check=True)


TICKER = """
apiVersion: v1
kind: Pod
metadata: {name: ticker, namespace: spec}
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "for i in 1 2 3 4 5; do echo tick $i; sleep 0.4; done"]
"""


def test_logs_follow(rtc: RuntimeCluster) -> None:
    rtc.kubectl("apply", "-f", "-", stdin=manifest("spec", TICKER), check=True)
    rtc.wait_phase("spec", "ticker", "Running", "Succeeded")
    started = time.monotonic()
    proc = subprocess.run([KUBECTL, "logs", "-f", "-n", "spec", "ticker"], capture_output=True, text=True,
                          timeout=20, env={"KUBECONFIG": str(rtc.kubeconfig), "HOME": str(rtc.home)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [f"tick {i}" for i in range(1, 6)]
    assert time.monotonic() - started < 15
