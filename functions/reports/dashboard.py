"""GET /admin/dashboard (permission VIEW_REPORTS): today's orders and revenue, orders by status,
payment declines today, the flagged orders waiting for staff, the low-stock SKUs, and the data for
the charts (today per hour, the last 14 days per day). Read from counters the order events keep
(docs/back-office.md, "The dashboard"): a handful of reads, whatever the number of orders."""

from commerce.common.api import api_handler, make_resolver
from commerce.reports.models import Dashboard
from commerce.wiring.reports import dashboard_service

app = make_resolver()


@app.get("/admin/dashboard")
def dashboard() -> Dashboard:
    return dashboard_service().dashboard()


handler = api_handler(app)
