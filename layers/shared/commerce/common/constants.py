"""Platform-wide names the layer owns and the topology publishes (imports nothing)."""

# CloudWatch namespace of every business metric; published to functions as POWERTOOLS_METRICS_NAMESPACE.
METRICS_NAMESPACE = "Commerce"
