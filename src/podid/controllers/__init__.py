"""kube-controller-manager's workload controllers for one podid cluster.

Level-triggered reconcile loops over the cluster's object store (:class:`Controllers`): Deployment
-> ReplicaSets (``pod-template-hash``), ReplicaSet -> Pods, Job -> Pods, and the garbage collector
(ownerReferences; background, foreground and orphan deletion). Pods are created through the API
(:meth:`podid.k8s.registry.Cluster.create`), so they pass the same admission (Pod Identity, IRSA)
and start in the same runtime as pods created by kubectl.
"""

from podid.controllers.manager import Controllers

__all__ = ["Controllers"]
