"""Webhook URLs an admin types in, checked so that Rapport cannot be used to reach its own network.

A URL is checked when the rule is saved and again right before each send: https only, no
credentials, and every address its host resolves to must be public ("one bad address spoils
the lookup", as Sentry's ``is_safe_hostname`` puts it). The request then connects to the address
that was checked, not to a fresh lookup, so a DNS answer that changes in between (rebinding)
cannot redirect it; redirects are not followed either. ``ALERTS_ALLOW_PRIVATE_WEBHOOKS`` lifts
the address and https rules for self-hosters whose chat server lives on their own network.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from django.utils.translation import gettext as _
from requests.adapters import HTTPAdapter

CONNECT_TIMEOUT_SECONDS = 5.0
READ_TIMEOUT_SECONDS = 10.0

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class WebhookUrlError(ValueError):
    """The URL may not be used as a webhook; the message says why in plain words."""


class WebhookSendError(RuntimeError):
    """The webhook did not accept the message; the message says why in plain words."""


@dataclass(frozen=True)
class VettedUrl:
    url: str
    scheme: str
    host: str  # as typed, without brackets
    port: int
    address: IPAddress  # the checked address the request connects to


def private_webhooks_allowed() -> bool:
    return bool(getattr(settings, "ALERTS_ALLOW_PRIVATE_WEBHOOKS", False))


def address_is_public(address: IPAddress) -> bool:
    """False for private, loopback, link-local, multicast, reserved and unspecified addresses,
    including an IPv4 one written as IPv6 (``::ffff:127.0.0.1``) or as 6to4/Teredo."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo is not None:
            embedded = address.teredo[1]
        if embedded is not None and not address_is_public(embedded):
            return False
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise WebhookUrlError(_("The host %(host)s could not be found.") % {"host": host}) from exc
    addresses: list[IPAddress] = []
    for info in infos:
        # The scope of a link-local IPv6 answer ("fe80::1%eth0") is not part of the address.
        raw = str(info[4][0]).split("%", 1)[0]
        addresses.append(ipaddress.ip_address(raw))
    if not addresses:
        raise WebhookUrlError(_("The host %(host)s could not be found.") % {"host": host})
    return addresses


def webhook_url_check(url: str, *, allow_private: bool | None = None) -> VettedUrl:
    """Check ``url`` and resolve its host; raises WebhookUrlError with the reason.

    ``allow_private`` defaults to the ``ALERTS_ALLOW_PRIVATE_WEBHOOKS`` setting.
    """
    allowed = private_webhooks_allowed() if allow_private is None else allow_private
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise WebhookUrlError(_("This is not a valid web address.")) from exc
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise WebhookUrlError(_("The webhook address must start with https://."))
    if scheme == "http" and not allowed:
        raise WebhookUrlError(
            _("The webhook address must use https://, so that alerts are not sent in clear text.")
        )
    if parts.username is not None or parts.password is not None:
        raise WebhookUrlError(
            _("The webhook address may not contain a user name or password before the host.")
        )
    host = parts.hostname or ""
    if not host:
        raise WebhookUrlError(_("This is not a valid web address."))
    port = port or (443 if scheme == "https" else 80)
    try:
        addresses: list[IPAddress] = [ipaddress.ip_address(host)]
    except ValueError:
        # A trailing dot keeps the name out of the server's resolver search domains.
        addresses = _resolve(host if host.endswith(".") else f"{host}.", port)
    if not allowed:
        for address in addresses:
            if not address_is_public(address):
                raise WebhookUrlError(
                    _(
                        "The webhook address points to a private or local network address "
                        "(%(address)s), which Rapport does not send to."
                    )
                    % {"address": address}
                )
    return VettedUrl(url=url.strip(), scheme=scheme, host=host, port=port, address=addresses[0])


class _PinnedAddressAdapter(HTTPAdapter):
    """Sends to the vetted address while TLS still checks the certificate of the host name."""

    def __init__(self, host: str, **kwargs: Any) -> None:
        self._host = host
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["server_hostname"] = self._host
        kwargs["assert_hostname"] = self._host
        super().init_poolmanager(*args, **kwargs)


def _pinned_url(vetted: VettedUrl) -> str:
    parts = urlsplit(vetted.url)
    address = str(vetted.address)
    netloc = f"[{address}]" if vetted.address.version == 6 else address
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((vetted.scheme, netloc, parts.path or "/", parts.query, ""))


def webhook_post(*, url: str, payload: dict[str, Any]) -> int:
    """POST ``payload`` as JSON to ``url`` after checking it again; returns the HTTP status.

    Raises WebhookUrlError when the URL is no longer acceptable and WebhookSendError for a
    timeout, a connection error, a redirect or a status that is not 2xx.
    """
    vetted = webhook_url_check(url)
    host_header = vetted.host if ":" not in vetted.host else f"[{vetted.host}]"
    if urlsplit(vetted.url).port:
        host_header = f"{host_header}:{vetted.port}"
    with requests.Session() as session:
        session.trust_env = False  # a proxy from the environment would connect on its own
        if vetted.scheme == "https":
            session.mount("https://", _PinnedAddressAdapter(vetted.host))
        try:
            response = session.post(
                _pinned_url(vetted),
                json=payload,
                headers={"Host": host_header, "User-Agent": "Rapport alerts"},
                timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS),
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            raise WebhookSendError(_("The webhook did not answer in time.")) from exc
        except requests.RequestException as exc:
            raise WebhookSendError(
                _("Could not connect to the webhook (%(error)s).") % {"error": type(exc).__name__}
            ) from exc
    if 300 <= response.status_code < 400:
        raise WebhookSendError(
            _(
                "The webhook answered with a redirect (HTTP %(status)s), "
                "which Rapport does not follow."
            )
            % {"status": response.status_code}
        )
    if not 200 <= response.status_code < 300:
        raise WebhookSendError(
            _("The webhook refused the message (HTTP %(status)s).")
            % {"status": response.status_code}
        )
    return response.status_code
