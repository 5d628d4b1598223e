"""Composition roots, one module per context: each builds its context's service from its
environment and adapters, once per warm container. Handlers call these; domain code never sees
boto3 or os.environ."""
