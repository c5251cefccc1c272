"""podid.k8s: the subset of the Kubernetes API that kubectl needs, served per podid cluster.

Public surface::

    create_cluster_api(cluster_name, store, authenticator, admission_hooks, token_issuer,
                       *, runtime=None, ca_pem=None) -> Starlette
    ObjectStore (protocol), SqlObjectStore(engine, cluster), create_tables(engine)
    PodRuntime (protocol), NoRuntime, LocalProcessRuntime
    AdmissionHook / AdmissionRequest / pod_hook, Authenticator / UserInfo, TokenIssuer / OidcTokenIssuer
    build_kubeconfig / write_kubeconfig / ClusterAccess (TLS: podid.tls)
"""

from podid.k8s.admission import AdmissionHook, AdmissionRequest, pod_hook
from podid.k8s.app import create_cluster_api
from podid.k8s.auth import Authenticator, UserInfo, admin_user, static_token_authenticator
from podid.k8s.kubeconfig import ClusterAccess, build_kubeconfig, write_kubeconfig
from podid.k8s.podruntime import ExecIO, LocalProcessRuntime, NoRuntime, PodRuntime
from podid.k8s.sqlstore import SqlObjectStore, create_tables
from podid.k8s.store import ObjectStore, WatchEvent
from podid.k8s.tokens import IssuedToken, OidcTokenIssuer, ReviewedToken, TokenIssuer

__all__ = [
    "AdmissionHook",
    "AdmissionRequest",
    "Authenticator",
    "ClusterAccess",
    "ExecIO",
    "IssuedToken",
    "LocalProcessRuntime",
    "NoRuntime",
    "ObjectStore",
    "OidcTokenIssuer",
    "PodRuntime",
    "ReviewedToken",
    "SqlObjectStore",
    "TokenIssuer",
    "UserInfo",
    "WatchEvent",
    "admin_user",
    "build_kubeconfig",
    "create_cluster_api",
    "create_tables",
    "pod_hook",
    "static_token_authenticator",
    "write_kubeconfig",
]
