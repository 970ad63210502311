"""Core layer: fleets of clusters -- several kubeconfig contexts queried concurrently, results merged (no I/O of its own)."""
