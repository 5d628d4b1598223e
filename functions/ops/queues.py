"""Back office, operations (MANAGE_SETTINGS): each queue's dead letters, and the redrive that
moves them back to the queue once the cause is fixed (docs/fulfilment.md section 6)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from commerce.common.api import api_handler, make_resolver, staff_id
from commerce.common.observability import logger, metrics
from commerce.operations.redrive import QueueState, Redriven, RedriveRequest
from commerce.wiring.operations import redrive

app = make_resolver()


@app.get("/admin/operations/queues", summary="Queues and the messages in their dead-letter queues")
def queues() -> list[QueueState]:
    return redrive().states()


@app.post("/admin/operations/queues/<queue>/redrive", summary="Move a queue's dead letters back to it")
def redrive_queue(
    queue: Annotated[str, Path(pattern=r"^[a-z0-9-]{1,64}$")],
    request: Annotated[RedriveRequest | None, Body()] = None,
) -> Redriven:
    result = redrive().redrive(queue, (request or RedriveRequest()).max_messages)
    logger.info("dead letters redriven", extra={"queue": queue, "moved": result.moved, "by": staff_id(app)})
    metrics.add_metric(name="DeadLettersRedriven", unit="Count", value=result.moved)
    return result


handler = api_handler(app)
