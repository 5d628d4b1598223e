"""Notifications context: the emails customers receive about their orders (docs/fulfilment.md
section 7). Order events arrive from the bus (at least once); each is rendered from the templates
in ``templates/`` and sent exactly once per event id."""
