"""The admin SPA in a real browser against the local cloud: sign-in, permission-dependent screens,
order review and cancellation, CSV import, stock adjustment. Tests whose server routes are still
being built are marked with ``needs(...)``: expected to fail until the route is in the topology,
ordinary tests from then on."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import needs
from tests.integration.support import totp, until, wrong_totp
from tests.integration.test_cart_api import new_customer
from tests.integration.test_order_lifecycle import LARGE, SLOW, payment_becomes, placed, status_becomes
from tests.integration.test_orders_api import detail, level, new_sku

App = Callable[..., Any]


def flagged_order(cloud: Any, api: Any) -> tuple[str, str]:
    """A customer's order above the review threshold, waiting for staff review: (order id, the
    customer's token)."""
    customer = new_customer(cloud)
    order_id = placed(api, customer, new_sku(3, price=LARGE))
    status_becomes(api, customer, order_id, "in_review")
    return order_id, customer


def shipped_order(cloud: Any, api: Any) -> tuple[str, str]:
    """A customer's order the warehouse handed to the carrier: its payment is captured."""
    customer = new_customer(cloud)
    order_id = placed(api, customer, new_sku(3))
    cloud.warehouse.wait_for_dispatch(order_id, SLOW)
    cloud.warehouse.advance(order_id, "handed_to_carrier")
    status_becomes(api, customer, order_id, "shipped")
    return order_id, customer


def notification(page: Any) -> Any:
    return page.locator(".MuiSnackbarContent-message, .MuiAlert-message").last


def menu(page: Any) -> Any:
    return page.get_by_role("menuitem")


# ---- signing in ------------------------------------------------------------------------------------
@needs("POST /admin/auth/sign-in")
def test_staff_sign_in_with_email_and_password(cloud, admin_app):
    # Given the sign-in page
    page = admin_app(None)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    username, password = cloud.staff_credentials["order-manager"]
    # When a bad email is typed, the form says so before anything is sent
    page.locator("input[name=email]").fill("not-an-email")
    page.locator("input[name=password]").fill("whatever")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Must be an email address")).to_be_visible()
    # and a wrong password gets the server's refusal, in words
    page.locator("input[name=email]").fill(username)
    page.locator("input[name=password]").fill(password + "-wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(notification(page)).not_to_be_empty()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    # When the right password is given
    page.locator("input[name=password]").fill(password)
    page.get_by_role("button", name="Sign in").click()
    # Then the order manager's screens are there, and no others
    expect(menu(page).filter(has_text="Orders")).to_be_visible()
    expect(menu(page).filter(has_text="Customers")).to_be_visible()
    expect(menu(page).filter(has_text="Payments")).to_have_count(0)
    # and every request carries the ID token the sign-in returned
    with page.expect_request(lambda r: r.url.endswith("/admin/me")) as sent:
        page.reload()
    assert sent.value.headers.get("authorization", "").count(".") == 2  # a JWT, as API Gateway's authoriser takes it


# ---- what each staff member sees ---------------------------------------------------------------------
def test_a_warehouse_user_cannot_see_finance_screens(cloud, api, admin_app, staff_token):
    # Given a warehouse user signed in
    page = admin_app("warehouse")
    # Then the menu offers inventory only: no finance, orders, staff or catalogue screens
    expect(menu(page).filter(has_text="Inventory")).to_be_visible()
    for hidden in ("Payments", "Refunds", "Orders", "Staff", "Audit log", "Products", "CSV import"):
        expect(menu(page).filter(has_text=hidden)).to_have_count(0)
    expect(page.get_by_test_id("your-screens")).to_have_text("Your screens: Inventory.")
    # and typing a finance screen's address shows no finance screen either
    page.goto(cloud.admin_url + "#/payments")
    expect(page.get_by_text("Not Found", exact=False).first).to_be_visible()
    expect(page.get_by_role("columnheader", name="Refunded")).to_have_count(0)
    # while a finance user does get them (the same build, other permissions)
    other = admin_app("finance", "#/payments")
    expect(menu(other).filter(has_text="Payments")).to_be_visible()
    expect(menu(other).filter(has_text="Refunds")).to_be_visible()
    expect(menu(other).filter(has_text="Inventory")).to_have_count(0)
    # (the finance routes exist: the list loads, with rows or its empty state, never "not offered")
    expect(other.get_by_test_id("empty").or_(other.get_by_role("table"))).to_be_visible()
    expect(other.get_by_test_id("route-unavailable")).to_have_count(0)
    # and the server refuses the warehouse user's token on an order action all the same
    refused = api.post("/admin/orders/ord_anything/approve", headers={"Authorization": staff_token("warehouse")})
    assert refused.status_code == 403 and refused.json()["code"] == "FORBIDDEN"


def test_finance_finds_a_payment_by_its_order_and_opens_it(cloud, api, admin_app):
    # Given an order whose payment the bank authorised
    customer = new_customer(cloud)
    order_id = placed(api, customer, new_sku(3))
    payment_becomes(cloud, order_id, "authorised")
    # When a finance member filters the payments by that order
    page = admin_app("finance", "#/payments")
    page.locator("input[name=order_id]").fill(order_id)
    # (the filter reaches the URL debounced, after the list shows it: a click before then opened the
    # payment and the late URL update took the page back to the list)
    expect(page).to_have_url(re.compile(f"filter=.*{order_id}"))
    row = page.get_by_role("row").filter(has_text=order_id)
    # Then it is listed, authorised, and its detail shows the attempt the bank answered
    expect(row).to_contain_text("authorised")
    expect(page.get_by_role("row")).to_have_count(2)  # the header and this payment
    row.click()
    expect(page.get_by_text("Authorisation attempts")).to_be_visible()
    expect(page.get_by_text('"outcome": "authorised"')).to_be_visible()
    # And the refunds screen loads its (empty) list for that order too
    refunds = admin_app("finance", "#/refunds")
    expect(refunds.get_by_test_id("empty").or_(refunds.get_by_role("table"))).to_be_visible()


def test_order_buttons_follow_the_staff_members_permissions(cloud, api, admin_app):
    # Given an order handed to the carrier (its payment captured: there is something to refund)
    order_id, _customer = shipped_order(cloud, api)
    # When customer service opens it
    page = admin_app("customer-service", f"#/orders/{order_id}/show")
    # Then they can annotate it, but not refund it (HANDLE_PAYMENTS)
    expect(page.get_by_test_id("payment")).to_contain_text("Captured")
    expect(page.get_by_test_id("note")).to_be_visible()
    expect(page.get_by_test_id("refund")).to_have_count(0)
    # while an admin can
    admin = admin_app("admin", f"#/orders/{order_id}/show")
    expect(admin.get_by_test_id("refund")).to_be_visible()
    expect(admin.get_by_test_id("note")).to_be_visible()


@needs("GET /admin/dashboard")
def test_the_dashboard_shows_todays_figures_to_those_who_view_reports(admin_app):
    # Given a finance user (VIEW_REPORTS)
    page = admin_app("finance")
    # Then the dashboard shows today's orders, revenue, declines, what waits for staff and low stock
    for figure in ("orders-today", "revenue-today", "declines", "flagged", "low-stock-count"):
        expect(page.get_by_test_id(figure)).to_be_visible()
    expect(page.get_by_text("Orders by status")).to_be_visible()
    expect(page.locator(".recharts-surface").first).to_be_visible()


# ---- orders --------------------------------------------------------------------------------------------
def test_approve_a_flagged_orders_review(cloud, api, admin_app):
    # Given an order flagged for review (above the amount threshold)
    order_id, customer = flagged_order(cloud, api)
    # When an order manager opens it and approves it
    page = admin_app("order-manager", f"#/orders/{order_id}/show")
    expect(page.get_by_test_id("order-id")).to_contain_text(order_id)
    page.get_by_test_id("approve").click()
    page.get_by_role("button", name="Confirm").click()
    # Then the app says so, and the order goes on to fulfilment
    expect(notification(page)).to_contain_text(f"Order {order_id} approved")
    got = status_becomes(api, customer, order_id, "ready_for_fulfilment")
    assert next(e for e in got["timeline"] if e["type"] == "OrderApproved")["by"].startswith("staff:")
    cloud.warehouse.wait_for_dispatch(order_id, SLOW)


@needs("GET /admin/orders", "GET /admin/orders/{order_id}")
def test_find_an_order_by_its_id_then_review_it_from_its_detail(cloud, api, admin_app):
    order_id, customer = flagged_order(cloud, api)
    # Given the order list, filtered to what waits for review
    page = admin_app("order-manager", "#/orders")
    # When the manager searches for the order's id
    page.get_by_placeholder("Order id or email").fill(order_id)
    expect(page).to_have_url(re.compile(f"filter=.*{order_id}"))  # the search applied (it is debounced)
    row = page.get_by_role("row").filter(has_text=order_id)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("in review")
    row.click()
    # Then its detail shows why it was flagged, its payment and its timeline
    expect(page.get_by_test_id("timeline")).to_contain_text("OrderFlaggedForReview")
    expect(page.get_by_test_id("order-status")).to_have_text("in review")
    page.get_by_test_id("approve").click()
    page.get_by_role("button", name="Confirm").click()
    expect(notification(page)).to_contain_text("approved")
    status_becomes(api, customer, order_id, "ready_for_fulfilment")
    cloud.warehouse.wait_for_dispatch(order_id, SLOW)


def test_cancel_an_order_with_a_reason(cloud, api, admin_app):
    # Given an order waiting for review
    order_id, customer = flagged_order(cloud, api)
    page = admin_app("order-manager", f"#/orders/{order_id}/show")
    page.get_by_test_id("cancel").click()
    # When the manager confirms without a reason, the form asks for one and nothing is sent
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.url.endswith("/cancel") else None)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Required")).to_be_visible()
    assert sent == [] and detail(api, customer, order_id)["order"]["status"] == "in_review"
    # When they give one
    page.get_by_label("Reason (recorded in the timeline)").fill("Customer asked by phone")
    page.get_by_role("button", name="Confirm").click()
    # Then the order is cancelled, with the reason in its timeline
    expect(notification(page)).to_contain_text(f"Order {order_id} cancel")
    got = status_becomes(api, customer, order_id, "cancelled")
    assert "Customer asked by phone" in str(got["timeline"])


def test_a_refused_action_shows_the_servers_reason(cloud, api, admin_app):
    """After the interception gate a cancel is refused (ORDER_PAST_INTERCEPTION): the app shows the
    problem's title and detail, not a status code."""
    order_id, _customer = shipped_order(cloud, api)
    page = admin_app("order-manager", f"#/orders/{order_id}/show")
    page.get_by_test_id("cancel").click()
    page.get_by_label("Reason (recorded in the timeline)").fill("Too late?")
    page.get_by_role("button", name="Confirm").click()
    message = notification(page)
    expect(message).to_contain_text("has been handed to the carrier")
    expect(message).to_contain_text(re.compile("request a return", re.IGNORECASE))
    expect(message).not_to_contain_text("409")


# ---- catalogue: CSV import -------------------------------------------------------------------------
GOOD_AND_BAD = (
    "product_id,name,brand,category,sku,variant_name,price,weight_grams\n"
    "csv-mug-{n},CSV Mug,Casa Bella,home/kitchen/coffee,CSV-MUG-{N}-1,350 ml,1200,300\n"
    "csv-mug-{n},CSV Mug,Casa Bella,home/kitchen/coffee,CSV-MUG-{N}-2,500 ml,not-a-price,400\n"
    "csv-cup-{n},CSV Cup,Casa Bella,home/kitchen/coffee,CSV-CUP-{N}-1,200 ml,900,200\n"
)


def test_a_csv_file_is_checked_before_it_is_sent(admin_app, tmp_path):
    # Given the import screen
    page = admin_app("catalogue-manager", "#/imports")
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if "/imports/csv" in r.url else None)
    # When the file lacks the columns every row needs
    wrong = tmp_path / "products.csv"
    wrong.write_text("name,price\nMug,1200\n")
    page.get_by_test_id("csv-file").set_input_files(str(wrong))
    page.get_by_test_id("csv-import").click()
    # Then the screen says what is missing, and nothing went to the server
    expect(page.get_by_test_id("csv-problems")).to_contain_text(
        "The header row lacks: product_id, sku, variant_name, weight_grams."
    )
    assert sent == []


@needs("POST /admin/catalogue/imports/csv", "GET /admin/catalogue/imports/{import_id}")
def test_import_a_csv_with_a_bad_row_and_see_the_report(admin_app, tmp_path):
    import uuid

    n = uuid.uuid4().hex[:8]
    csv = tmp_path / "products.csv"
    csv.write_text(GOOD_AND_BAD.format(n=n, N=n.upper()))
    # Given the import screen, and a file whose second data row has a price that is not a number
    page = admin_app("catalogue-manager", "#/imports")
    page.get_by_test_id("csv-file").set_input_files(str(csv))
    # When it is imported
    page.get_by_test_id("csv-import").click()
    # Then the report names the bad row and why, and the import finishes
    report = page.get_by_test_id("csv-report")
    expect(report).to_be_visible()
    bad = page.get_by_test_id("csv-row").filter(has_text="price")
    expect(bad.first).to_be_visible()
    expect(bad.first).to_contain_text("3")  # the file's third line (the header is line 1)
    expect(report).not_to_contain_text("RUNNING", timeout=60_000)


# ---- inventory -------------------------------------------------------------------------------------------
@needs("POST /admin/inventory/{sku}/adjustments")
def test_adjust_stock(admin_app):
    # Given a SKU with 5 units on hand
    sku = new_sku(5)
    page = admin_app("warehouse", f"#/inventory/{sku}/show")
    page.get_by_test_id("adjust").click()
    # When a zero adjustment is tried, the form refuses it before sending
    page.get_by_label("Units (+/-)").fill("0")
    page.get_by_label("Reason").fill("Recount")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Must not be zero")).to_be_visible()
    # When 3 units are added with a reason
    page.get_by_label("Units (+/-)").fill("3")
    page.get_by_label("Reason").fill("Delivery from supplier")
    page.get_by_role("button", name="Confirm").click()
    # Then the app confirms and the stock has them
    expect(notification(page)).to_contain_text(f"Stock of {sku} adjusted by 3")
    assert level(sku)["on_hand"] == 8
    # and taking away more than there is is refused by the server, in words
    page.get_by_test_id("adjust").click()
    page.get_by_label("Units (+/-)").fill("-100")
    page.get_by_label("Reason").fill("Damaged")
    page.get_by_role("button", name="Confirm").click()
    expect(notification(page)).to_contain_text(f"Conflict with the current state: {sku}: cannot remove 100 from main")
    assert level(sku)["on_hand"] == 8


# ---- staff -----------------------------------------------------------------------------------------------
@needs("POST /admin/staff", "POST /admin/auth/sign-in", "POST /admin/auth/new-password", "POST /admin/auth/mfa/verify")
def test_invite_a_staff_member_who_then_signs_in_with_a_new_password_and_an_authenticator(cloud, admin_app):
    import uuid

    email = f"picker-{uuid.uuid4().hex[:8]}@staff.local"
    # Given an admin on the staff screen
    page = admin_app("admin", "#/staff/create")
    # When they invite a warehouse picker
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=name]").fill("Pat Picker")
    page.get_by_label("Groups").click()
    page.get_by_role("option", name="warehouse", exact=True).click()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Save").click()
    # Then the new account is listed, and its invitation went out with a temporary password
    expect(page.get_by_role("row").filter(has_text=email)).to_contain_text("warehouse")
    invitation = until(lambda: cloud.emails(to=email), 30, f"the invitation to {email}")[0]
    temporary = re.search(r"Temporary password: (\S+)", invitation["text"]).group(1)
    # When the picker signs in with it, the app asks for a password of their own
    tab = admin_app(None)
    tab.locator("input[name=email]").fill(email)
    tab.locator("input[name=password]").fill(temporary)
    tab.get_by_role("button", name="Sign in").click()
    tab.locator("input[name=new_password]").fill("Picker-Own-Pw1!")
    tab.locator("input[name=confirm]").fill("Picker-Own-Pw2!")
    tab.get_by_role("button", name="Set password and sign in").click()
    expect(tab.get_by_text("The two passwords differ")).to_be_visible()
    tab.locator("input[name=confirm]").fill("Picker-Own-Pw1!")
    tab.get_by_role("button", name="Set password and sign in").click()
    # Then the staff pool asks for an authenticator app: the app shows its key and otpauth:// link
    expect(tab.get_by_test_id("mfa-secret")).to_be_visible()
    link = tab.get_by_test_id("mfa-uri")
    expect(link).to_have_attribute("href", re.compile(r"^otpauth://totp/"))
    secret = link.get_attribute("data-secret")
    assert secret and tab.get_by_test_id("mfa-secret").inner_text().replace(" ", "") == secret.rstrip("=")
    # a code that is not six digits is refused before sending, a wrong one by the server
    tab.locator("input[name=code]").fill("12ab")
    tab.get_by_role("button", name="Verify and sign in").click()
    expect(tab.get_by_text("The six digits your authenticator app shows")).to_be_visible()
    tab.locator("input[name=code]").fill(wrong_totp(secret))
    tab.get_by_role("button", name="Verify and sign in").click()
    expect(notification(tab)).to_contain_text("authenticator")
    # and the code the app shows signs them in
    tab.locator("input[name=code]").fill(totp(secret))
    tab.get_by_role("button", name="Verify and sign in").click()
    # Then they are in, with the warehouse's screens only
    expect(menu(tab).filter(has_text="Inventory")).to_be_visible()
    expect(menu(tab).filter(has_text="Staff")).to_have_count(0)
    # When they sign in again later, the password leads to the code step
    again = admin_app(None)
    again.locator("input[name=email]").fill(email)
    again.locator("input[name=password]").fill("Picker-Own-Pw1!")
    again.get_by_role("button", name="Sign in").click()
    again.locator("input[name=code]").fill(totp(secret))
    again.get_by_role("button", name="Sign in").click()
    expect(menu(again).filter(has_text="Inventory")).to_be_visible()
