"""Reports: counters kept up to date from the order events (the dashboard reads them, never the orders)."""
