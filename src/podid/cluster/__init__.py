"""podid.cluster: the glue that runs each EKS cluster's Kubernetes API inside ``podid up``.

* :mod:`podid.cluster.server` - :func:`~podid.cluster.server.install`, called by :mod:`podid.compose`:
  a second, TLS listener (``--kube-port``) serving ``/clusters/<name>`` for every EKS cluster, the
  kubeconfig, the EKS endpoint/CA resolvers and the add-on reconciler.
* :mod:`podid.cluster.pki` - the local CA and serving certificate kept in the state directory.
* :mod:`podid.cluster.kubeserver` - the TLS uvicorn server in its own thread and the dynamic router.
* :mod:`podid.cluster.admission` - Pod Identity admission (``podid.webhook.mutate_pod``) per cluster.
* :mod:`podid.cluster.authn` - bearer tokens: the admin token, ServiceAccount tokens, EKS
  ``k8s-aws-v1.`` tokens.
* :mod:`podid.cluster.addon` - the ``eks-pod-identity-agent`` DaemonSet object.
* :mod:`podid.cluster.node` - the node IAM role/session and the in-process node agent.
"""
