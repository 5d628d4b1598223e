"""Environment parsing: each composition root declares the variables it needs as a pydantic model,
parsed once. Domain logic never reads ``os.environ``."""

from __future__ import annotations

import os
from typing import TypeVar

from pydantic import BaseModel, ConfigDict


class EnvModel(BaseModel):
    """Base for environment models: field ``catalog_table`` reads ``CATALOG_TABLE``."""

    model_config = ConfigDict(frozen=True, extra="ignore")


T = TypeVar("T", bound=EnvModel)


def from_env(model: type[T]) -> T:
    return model.model_validate({key.lower(): value for key, value in os.environ.items()})
