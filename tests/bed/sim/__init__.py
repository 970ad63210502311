"""Test-bed simulated mesh (not shipped): generators that turn a tests/bed/topology.py `Topology` into
Kubernetes objects (k8s.py), Prometheus OpenMetrics (metrics.py), proxy access logs (logs.py) and the numbers
the tests expect (truth.py). Pure Python, no servers; the bed (tests/bed/bed.py) serves what they produce."""
