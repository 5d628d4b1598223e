"""Fulfilment: warehouse dispatch, the interception gate, carriers and tracking (docs/fulfilment.md)."""
