"""podid.runtime: the pod runtime (kubelet-like) - pods run as local processes.

Public surface::

    ProcessRuntime(store, token_issuer, RuntimeConfig(state_dir, cluster, ...))  # a podid.k8s PodRuntime
    RuntimeConfig, ImageMap, ImageSpec, PodPaths
    pod_exists(store, namespace, name, uid), StorePodDirectory({cluster: store})
    namespace_supported()   # can pods get per-container mount namespaces here?
"""

from podid.runtime.config import RuntimeConfig
from podid.runtime.directory import StorePodDirectory, pod_exists
from podid.runtime.images import ImageMap, ImageNotFound, ImageSpec
from podid.runtime.layout import PodPaths
from podid.runtime.mounts import namespace_supported
from podid.runtime.runtime import ProcessRuntime

__all__ = [
    "ImageMap",
    "ImageNotFound",
    "ImageSpec",
    "PodPaths",
    "ProcessRuntime",
    "RuntimeConfig",
    "StorePodDirectory",
    "namespace_supported",
    "pod_exists",
]
