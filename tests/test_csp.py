"""The Content Security Policy header (config/csp.py), and templates that need no inline script.

The browser side (pages drawn under the policy with no violation) is tests/browser/test_csp.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.http.response import HttpResponseBase
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from config.csp import ENFORCE_HEADER, REPORT_ONLY_HEADER, ContentSecurityPolicyMiddleware
from connectors.models import Role, User, Workspace
from dashboards.reports.sharing import share_link_create
from reporting.report_models import ShareKind
from tests.dashboards.reports.test_share import make_run

TEMPLATES = Path(settings.BASE_DIR) / "templates"

EXPECTED = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
    # "Connect" redirects a form post to the platform's consent page.
    "form-action": [
        "'self'",
        "https://accounts.google.com",
        "https://www.facebook.com",
        "https://www.linkedin.com",
        "https://www.tiktok.com",
        "https://x.com",
    ],
}


def directives(header: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *sources = part.split()
        assert name not in parsed, f"{name} given twice"
        parsed[name] = sources
    return parsed


def assert_policy(response: HttpResponseBase) -> None:
    policy = directives(response[ENFORCE_HEADER])
    assert policy == EXPECTED
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert REPORT_ONLY_HEADER not in response


@pytest.fixture
def admin_client_member(
    client: Client, workspace: Workspace, member_factory: Callable[..., User]
) -> Client:
    client.force_login(member_factory(workspace, Role.ADMIN))
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/w/acme/",
        "/w/acme/posts/",
        "/w/acme/kpis/",
        "/w/acme/reports/",
        "/w/acme/settings/",
        "/w/acme/import/",
        "/w/acme/no-such-page/",  # the 404 page
    ],
)
def test_app_pages_send_the_policy(admin_client_member: Client, url: str) -> None:
    response = admin_client_member.get(url)

    assert response.status_code in {200, 404}
    assert_policy(response)


def test_anonymous_pages_and_json_answers_send_the_policy(client: Client, db: None) -> None:
    assert_policy(client.get(reverse("login")))
    assert_policy(client.get(reverse("password_reset")))
    # Not only HTML: an SVG or JSON opened on its own is a document too.
    assert_policy(client.get(reverse("healthz")))


def test_share_page_sends_the_same_policy(client: Client, workspace: Workspace) -> None:
    _link, token = share_link_create(
        workspace=workspace, kind=ShareKind.RUN, run=make_run(workspace), password="open sesame"
    )

    response = client.get(reverse("share:open", args=[token]))

    assert response.status_code == 200
    assert_policy(response)


def test_admin_needs_no_relaxed_policy(client: Client, db: None) -> None:
    """Django's admin has had no inline script since 4.x: it gets the same policy (and the
    browser test opens its pages without a violation)."""
    staff = User.objects.create_superuser("root", "root@example.com", "x" * 20)
    client.force_login(staff)

    for url in ("/admin/", "/admin/connectors/workspace/", "/admin/auth/group/add/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_policy(response)


def test_report_only_setting_sends_the_report_only_header(client: Client, db: None) -> None:
    with override_settings(CSP_REPORT_ONLY=True):
        response = client.get(reverse("login"))

    assert ENFORCE_HEADER not in response
    assert directives(response[REPORT_ONLY_HEADER]) == EXPECTED


def test_debug_error_page_keeps_its_inline_script(rf: RequestFactory) -> None:
    def fail(request: HttpRequest) -> HttpResponse:
        return HttpResponseServerError("<script>toggle()</script>")

    middleware = ContentSecurityPolicyMiddleware(fail)
    with override_settings(DEBUG=True):
        assert ENFORCE_HEADER not in middleware(rf.get("/"))
    with override_settings(DEBUG=False):
        assert_policy(middleware(rf.get("/")))


# The shared logo's own, stricter policy is kept: test_share's
# test_the_logo_is_served_to_the_link_only_and_cannot_run_scripts.


# Templates ------------------------------------------------------------------------------------

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
HANDLER = re.compile(r"<[a-zA-Z][^>]*?\son[a-z]+\s*=", re.DOTALL | re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"javascript\s*:", re.IGNORECASE)


def inline_script_problems(source: str) -> list[str]:
    """What in a template would need ``'unsafe-inline'`` in ``script-src``."""
    problems = []
    for match in SCRIPT_TAG.finditer(source):
        attributes, body = match.groups()
        if "src=" not in attributes.replace(" ", ""):
            problems.append(f"inline <script{attributes}>")
        elif body.strip():
            problems.append("a <script src> with a body")
    # An opening <script without its closing tag in this file would hide from the pattern above.
    if source.lower().count("<script") != len(SCRIPT_TAG.findall(source)):
        problems.append("a <script> tag without its </script>")
    problems += [f"event handler {m.group(0)[-12:]!r}" for m in HANDLER.finditer(source)]
    problems += ["a javascript: URL" for _ in JAVASCRIPT_URL.finditer(source)]
    return problems


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("<script>alert(1)</script>", True),
        ('<script type="module">import x from "/x.js"</script>', True),
        ('<script src="/static/a.js" defer></script>', False),
        ('<script src="/static/a.js">alert(1)</script>', True),
        ('<button type="button" onclick="go()">Go</button>', True),
        ('<select name="p"\n  onchange="this.form.submit()">', True),
        ('<form ONSUBMIT="return check()">', True),
        ('<a href="javascript:void(0)">x</a>', True),
        ("<p>Reports on the 1st. Click it on=off</p>", False),
        ('<a href="{% url "x" %}" data-on-click="x">ok</a>', False),
        ("{{ figure|json_script:script_id }}", False),
    ],
)
def test_the_template_check_finds_inline_scripts(source: str, found: bool) -> None:
    assert bool(inline_script_problems(source)) is found


def test_no_template_has_an_inline_script_or_handler() -> None:
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert len(templates) > 50

    problems = [
        f"{path.relative_to(TEMPLATES)}: {problem}"
        for path in templates
        for problem in inline_script_problems(path.read_text())
    ]

    assert problems == [], "move these into static/js/ (the CSP blocks them):\n" + "\n".join(
        problems
    )
