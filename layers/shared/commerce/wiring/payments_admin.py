"""The finance screens' service (payments-admin: the payments table, read only)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from commerce.common.settings import EnvModel, from_env

if TYPE_CHECKING:
    from commerce.payments.admin import PaymentsAdmin


class PaymentsTableEnv(EnvModel):
    payments_table: str


@cache
def payments_admin() -> PaymentsAdmin:
    from commerce.adapters.payments_dynamo import DynamoPaymentIndex, DynamoPaymentRepository
    from commerce.payments.admin import PaymentsAdmin

    table = from_env(PaymentsTableEnv).payments_table
    return PaymentsAdmin(DynamoPaymentIndex(table), DynamoPaymentRepository(table))
