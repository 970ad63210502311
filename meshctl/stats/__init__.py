"""Core layer: `meshctl stat` — golden signals per workload from Prometheus, MESHED counts from the Kubernetes API.

- ``request``: the validated, frozen ``StatRequest`` (all usage errors are raised there, before any I/O);
- ``queries_linkerd`` / ``queries_istio``: pure PromQL builders, a fixed number of queries per resource type;
- ``assemble``: pure assembly of Prometheus samples and Kubernetes objects into ``StatRow``s;
- ``canary``: the `--by version` view (configured weights from the mesh's routing objects, observed shares);
- ``objects`` and ``service``: the only modules that do I/O, and only through the adapters (KubeClient, PromClient)
  the CLI passes in: ``objects`` lists the Kubernetes side cheaply, ``service`` runs one refresh.
"""
