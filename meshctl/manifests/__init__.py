"""I/O adapter for manifests: reading sources (files, directories, stdin, URLs) and minimal-edit YAML/JSON."""
