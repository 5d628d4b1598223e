"""Operations services: the DLQ redrive (ops-queues)."""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING

from commerce.common.settings import EnvModel, from_env

if TYPE_CHECKING:
    from commerce.operations.redrive import Redrive


class RedriveEnv(EnvModel):
    redrive_queues: str  # comma-separated queue names; each URL in <NAME>_QUEUE_URL (infra/model.py)


@cache
def redrive() -> Redrive:
    from commerce.adapters.sqs_queues import SqsQueues
    from commerce.operations.redrive import Redrive

    names = [name for name in from_env(RedriveEnv).redrive_queues.split(",") if name]
    urls = {name: os.environ[name.upper().replace("-", "_") + "_QUEUE_URL"] for name in names}
    return Redrive(SqsQueues(), urls)
