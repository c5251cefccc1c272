"""Protobuf field numbers of the workload kinds (k8s.io/api ``generated.proto``), by message.

Only the numbers live here: each field's JSON name is the value, its type comes from the
``kubernetes`` client model ``V1<Message>`` (:func:`podid.k8s.protobuf.decode_model`).
"""

from __future__ import annotations

NUMBERS: dict[str, dict[int, str]] = {
    "Deployment": {1: "metadata", 2: "spec", 3: "status"},
    "DeploymentSpec": {1: "replicas", 2: "selector", 3: "template", 4: "strategy", 5: "minReadySeconds",
                       6: "revisionHistoryLimit", 7: "paused", 9: "progressDeadlineSeconds"},
    "DeploymentStrategy": {1: "type", 2: "rollingUpdate"},
    "RollingUpdateDeployment": {1: "maxUnavailable", 2: "maxSurge"},
    "ReplicaSet": {1: "metadata", 2: "spec", 3: "status"},
    "ReplicaSetSpec": {1: "replicas", 2: "selector", 3: "template", 4: "minReadySeconds"},
    "Job": {1: "metadata", 2: "spec", 3: "status"},
    "JobSpec": {1: "parallelism", 2: "completions", 3: "activeDeadlineSeconds", 4: "selector",
                5: "manualSelector", 6: "template", 7: "backoffLimit", 8: "ttlSecondsAfterFinished",
                9: "completionMode", 10: "suspend"},
    "LabelSelector": {1: "matchLabels", 2: "matchExpressions"},
    "LabelSelectorRequirement": {1: "key", 2: "operator", 3: "values"},
    "PodTemplateSpec": {1: "metadata", 2: "spec"},
    "PodSpec": {1: "volumes", 2: "containers", 3: "restartPolicy", 4: "terminationGracePeriodSeconds",
                5: "activeDeadlineSeconds", 6: "dnsPolicy", 7: "nodeSelector", 8: "serviceAccountName",
                9: "serviceAccount", 10: "nodeName", 11: "hostNetwork", 12: "hostPID", 13: "hostIPC",
                16: "hostname", 17: "subdomain", 19: "schedulerName", 20: "initContainers",
                21: "automountServiceAccountToken"},
    "Container": {1: "name", 2: "image", 3: "command", 4: "args", 5: "workingDir", 6: "ports", 7: "env",
                  8: "resources", 9: "volumeMounts", 13: "terminationMessagePath", 14: "imagePullPolicy",
                  16: "stdin", 17: "stdinOnce", 18: "tty", 20: "terminationMessagePolicy"},
    "ContainerPort": {1: "name", 2: "hostPort", 3: "containerPort", 4: "protocol", 5: "hostIP"},
    "EnvVar": {1: "name", 2: "value"},
    "ResourceRequirements": {1: "limits", 2: "requests"},
    "VolumeMount": {1: "name", 2: "readOnly", 3: "mountPath", 4: "subPath"},
}
