"""The Content Security Policy sent with every response Rapport makes.

Django 5.2 has no CSP support of its own, so this small middleware sets the header. The policy
allows scripts only from Rapport's own origin: no inline script, no ``eval``. Pages hand data to
their scripts through ``json_script`` (``type="application/json"``, which browsers never run) and
data attributes; tests/test_csp.py keeps inline scripts and event handlers out of
``templates/``.

``style-src`` allows ``'unsafe-inline'`` because plotly.js 4 needs it. Checked in Chromium under
``style-src 'self'``: the charts are drawn, but plotly.js inserts ``<style>`` elements as it loads
(its hover, cursor and modebar rules through ``addStyleRule``, and its bundled map library's CSS)
and sets ``style`` attributes on colour-bar cells, and each is refused and reported on every page
with a chart. Its dist no longer ships that CSS as a file to link instead (plotly.js issue
#7543). Inline styles cannot run code, so scripts stay locked; what is left is an injected style
restyling a page, and autoescaping keeps user text out of markup. The brand colours of the share
pages and the report document are inline custom properties for the same reason.

A view that sets its own policy keeps it (the shared logo, an SVG opened on its own, sets a
stricter one). ``RAPPORT_CSP_REPORT_ONLY`` sends the policy as ``...-Report-Only``: browsers then
report violations in their console but block nothing, for an operator who adds scripts of their
own and wants to see what the policy would stop before enforcing it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

ENFORCE_HEADER = "Content-Security-Policy"
REPORT_ONLY_HEADER = "Content-Security-Policy-Report-Only"

POLICY: dict[str, str] = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    # blob: for a chart's "Download PNG": plotly.js draws the SVG through a blob: URL image.
    "img-src": "'self' data: blob:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def policy_header(policy: dict[str, str]) -> str:
    return "; ".join(f"{directive} {sources}" for directive, sources in policy.items())


def oauth_origins() -> list[str]:
    """The origins of the platforms' consent pages.

    "Connect" posts a form to Rapport, which redirects to the platform's consent page; browsers
    apply ``form-action`` to that redirect too, so those origins must be allowed there."""
    from connectors.registry import CONNECTORS, connector_class

    origins = set()
    for key in settings.PLATFORM_KEYS:
        if key in CONNECTORS:
            parts = urlsplit(connector_class(key).oauth.authorize_url)
            origins.add(f"{parts.scheme}://{parts.netloc}")
    return sorted(origins)


@cache
def header_value() -> str:
    # Built at the first answer: the connectors' modules are loaded by then.
    form_action = " ".join([POLICY["form-action"], *oauth_origins()])
    return policy_header({**POLICY, "form-action": form_action})


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Every answer gets it, not only HTML: an SVG opened on its own is a document that could
        # run scripts, and on a CSV or PDF the header costs nothing. A view's own policy (the
        # shared logo's) is kept in either mode.
        if ENFORCE_HEADER in response or REPORT_ONLY_HEADER in response:
            return response
        # Django's debug error page (DEBUG only) works with an inline script of its own.
        if settings.DEBUG and response.status_code >= 500:
            return response
        response[REPORT_ONLY_HEADER if settings.CSP_REPORT_ONLY else ENFORCE_HEADER] = (
            header_value()
        )
        return response
