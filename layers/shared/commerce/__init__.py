"""The commerce domain layer: one package per bounded context, plus ``platform`` (cross-cutting
concerns every handler shares) and ``adapters`` (the AWS implementations of the contexts' ports).

Domain modules import no boto3; only ``commerce.adapters`` and ``commerce.wiring`` do.
"""
