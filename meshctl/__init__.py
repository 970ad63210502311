"""meshctl: diagnostics for Kubernetes service meshes (Linkerd and Istio).

Imports nothing heavy: start-up time matters for a CLI.
"""

__version__ = "0.1.0"
