"""Issue #6, "done when", in a real browser against a local SMTP server.

A manager on the demo schedules the monthly report with review, sends it now, edits the draft's
commentary, approves it, and the recipients get it; the archive holds exactly the file that was
sent. Then a password-protected live link is opened by someone without an account (a real
browser, so a real CSRF check on the password form).
"""

from __future__ import annotations

import email
import hashlib
import re
import threading
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, Page, expect

from connectors.models import User
from reporting.report_models import DeliveryStatus, ReportRun, RunStatus
from tests.browser.conftest import screenshot
from tests.browser.test_dashboards import log_in_demo, wait_for_charts
from tests.processes import free_port

pytestmark = pytest.mark.browser


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [message for rcpt, message in self.messages if address in rcpt]


@pytest.fixture
def inbox(settings: Any) -> Iterator[Inbox]:
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    yield handler
    controller.stop()


def attachment(message: EmailMessage, suffix: str) -> tuple[str, bytes]:
    for part in message.iter_attachments():
        name = part.get_filename() or ""
        if name.endswith(suffix):
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return name, payload
    raise AssertionError(f"no {suffix} attachment")


def test_manager_schedules_with_review_approves_and_recipients_get_it(
    page: Page,
    browser: Browser,
    live_server: Any,
    demo_workspace: None,
    inbox: Inbox,
    settings: Any,
    console_errors: list[str],
) -> None:
    settings.SITE_URL = live_server.url
    analyst = User.objects.get(username="demo-analyst")
    log_in_demo(page, live_server.url, "manager")

    # From the monthly report's preview to a new schedule, with review.
    page.goto(f"{live_server.url}/w/demo/reports/")
    page.locator(".report-card", has_text="Monthly management report").get_by_role(
        "link", name="Preview"
    ).click()
    page.get_by_role("link", name="Schedule", exact=True).click()
    page.get_by_label("Frequency").select_option("monthly")
    page.get_by_label("Time").fill("08:00")
    page.locator(f'input[name="recipient_users"][value="{analyst.pk}"]').check()
    page.locator('textarea[name="recipient_emails"]').fill("board@client.example")
    page.locator('input[name="review_required"]').check()
    page.locator('input[name="attach_xlsx"]').check()
    page.get_by_role("button", name="Save the schedule").click()
    page.wait_for_url(re.compile(r"/reports/schedules/$"))

    # Send now: the draft is rendered and the reviewer (the author) is asked to review it.
    page.get_by_role("button", name="Send now").first.click()
    run = ReportRun.objects.get(schedule__isnull=False)
    assert run.status == RunStatus.AWAITING_REVIEW
    [review_mail] = inbox.to("demo-manager@maisonlumiere.example")
    review_link = re.search(r"https?://\S+/review/\d+/", review_mail.get_content())
    assert review_link is not None
    assert not inbox.to("board@client.example")  # nothing goes out before the approval

    page.goto(review_link.group(0))
    page.locator('textarea[name="commentary"]').fill("Reach grew on TikTok. <b>Not bold</b>")
    page.get_by_role("button", name="Save and re-render").click()
    expect(page.locator('textarea[name="commentary"]')).to_have_value(
        "Reach grew on TikTok. <b>Not bold</b>"
    )
    screenshot(page, "reports-review-desktop")
    page.get_by_role("button", name="Approve and send").click()
    page.wait_for_url(re.compile(r"/reports/deliveries/$"))
    expect(page.get_by_text("board@client.example")).to_be_visible()

    run.refresh_from_db()
    assert run.status == RunStatus.SENT and run.commentary.startswith("Reach grew")
    assert sorted(run.deliveries.values_list("email", "status")) == [
        ("board@client.example", DeliveryStatus.SENT),
        ("demo-analyst@maisonlumiere.example", DeliveryStatus.SENT),
    ]
    archived = run.file.read()
    for address in ("board@client.example", "demo-analyst@maisonlumiere.example"):
        [message] = inbox.to(address)
        name, pdf = attachment(message, ".pdf")
        assert name == "monthly-management-report-" + (
            f"{run.period_start:%Y-%m-%d}-{run.period_end:%Y-%m-%d}.pdf"
        )
        # The archive holds exactly what was sent.
        assert (
            hashlib.sha256(pdf).hexdigest()
            == run.file_sha256
            == (hashlib.sha256(archived).hexdigest())
        )
        assert attachment(message, ".xlsx")[1][:2] == b"PK"
        body = message.get_body(("plain",))
        assert body is not None and "Reach grew on TikTok." in body.get_content()

    # The run's page says what was sent, to whom.
    page.goto(f"{live_server.url}/w/demo/reports/runs/{run.pk}/")
    expect(page.get_by_text(run.file_sha256)).to_be_visible()
    expect(page.get_by_text("board@client.example")).to_be_visible()
    assert console_errors == []


def test_a_password_protected_live_link_opens_without_an_account(
    page: Page, browser: Browser, live_server: Any, demo_workspace: None, settings: Any
) -> None:
    settings.SITE_URL = live_server.url  # the address shown once, when the link is made
    log_in_demo(page, live_server.url, "manager")
    page.goto(f"{live_server.url}/w/demo/reports/")
    page.locator(".report-card", has_text="Weekly team report").get_by_role(
        "link", name="Preview"
    ).click()
    page.get_by_role("link", name="Share a live link").click()
    page.locator('input[name="password"]').fill("board-2026!")
    page.get_by_role("button", name="Create the link").click()
    address = re.search(r"https?://[^\s\"<]+/s/[A-Za-z0-9_-]+/", page.content())
    assert address is not None

    visitor = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    visitor.goto(address.group(0))
    visitor.locator('input[name="password"]').fill("wrong")
    visitor.get_by_role("button", name="Open").click()
    expect(visitor.get_by_text("Wrong password.")).to_be_visible()
    visitor.locator('input[name="password"]').fill("board-2026!")
    visitor.get_by_role("button", name="Open").click()
    expect(visitor.get_by_text("Weekly team report").first).to_be_visible()
    expect(visitor.get_by_role("link", name="Download PDF")).to_be_visible()
    wait_for_charts(visitor, at_least=2)  # plotly.js from Rapport's own static files
    screenshot(visitor, "reports-share-live-phone")
    visitor.context.close()
