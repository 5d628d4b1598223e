"""One place that creates the logger, tracer and metrics every handler uses.

Service name and metrics namespace come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE,
set per function by the topology (the local cloud runs every handler in one process, so it falls
back to "commerce").
"""

import os

from aws_lambda_powertools import Logger, Metrics, Tracer

from commerce.common.constants import METRICS_NAMESPACE

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "commerce")

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(service=SERVICE, namespace=METRICS_NAMESPACE)
