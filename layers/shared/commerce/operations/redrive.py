"""Dead-letter queues: their depth, and the redrive that moves their messages back to the queue
they came from (after the cause is fixed). At least once: each message is sent back before it is
deleted from the DLQ, so a crash in between sends it twice (consumers are idempotent), never zero
times."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, Field

from commerce.common.errors import NotFound

MAX_PER_CALL = 500


class UnknownQueue(NotFound):
    code = "QUEUE_NOT_FOUND"


class QueueState(BaseModel):
    queue: str
    dead_letters: int = Field(description="Messages waiting in the queue's DLQ (approximate)")
    waiting: int = Field(description="Messages waiting in the queue itself (approximate)")


class RedriveRequest(BaseModel):
    max_messages: int = Field(default=100, ge=1, le=MAX_PER_CALL)


class Redriven(BaseModel):
    queue: str
    moved: int
    dead_letters: int = Field(description="Left in the DLQ after the move (approximate)")


class Queues(Protocol):
    def depth(self, url: str) -> int: ...

    def move(self, source_url: str, target_url: str, limit: int) -> int:
        """Move up to ``limit`` messages; how many moved."""
        ...


def dlq_url(queue_url: str) -> str:
    return f"{queue_url}-dlq"


class Redrive:
    def __init__(self, queues: Queues, urls: dict[str, str]) -> None:
        self._queues = queues
        self._urls = urls

    def states(self) -> list[QueueState]:
        return [
            QueueState(queue=name, dead_letters=self._queues.depth(dlq_url(url)), waiting=self._queues.depth(url))
            for name, url in sorted(self._urls.items())
        ]

    def redrive(self, queue: str, max_messages: int) -> Redriven:
        url = self._urls.get(queue)
        if url is None:
            raise UnknownQueue(f"No queue {queue!r} can be redriven.", queues=sorted(self._urls))
        moved = self._queues.move(dlq_url(url), url, max_messages)
        return Redriven(queue=queue, moved=moved, dead_letters=self._queues.depth(dlq_url(url)))
