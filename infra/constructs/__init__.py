"""One construct per concern, each rendering its part of ``infra.topology.TOPOLOGY``."""
