"""Payments: the merchant-system context (authorise, capture, void, refund; signed gateway webhooks)."""
