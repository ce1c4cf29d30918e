"""An emulated Karmada control plane for tests.

Two Kubernetes-compatible API servers run in one process: the Karmada API server
(clusters, bindings, works, policies, execution namespaces) and the host cluster
(namespace ``karmada-system``, the controller-manager Deployment, its pods and logs).
Real clients -- kubectl, the ``kubernetes`` Python client, kubernetes.core -- talk to
them over HTTPS exactly as they would to a real cluster.
"""
