"""Webhook URLs: what is refused, what is accepted, and how the request is pinned."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest
import requests
from urllib3.connectionpool import HTTPSConnectionPool

from reporting.alerts.webhooks import (
    WebhookUrlError,
    _pinned_url,
    _PinnedAddressAdapter,
    address_is_public,
    webhook_url_check,
)

PUBLIC_V4 = "93.184.216.34"
PUBLIC_V6 = "2606:2800:220:1:248:1893:25c8:1946"


@pytest.fixture(autouse=True)
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """No DNS here: names resolve through this table."""
    table = {
        "hooks.example.com.": [PUBLIC_V4],
        "dual.example.com.": [PUBLIC_V6, PUBLIC_V4],
        "internal.example.com.": ["10.20.30.40"],
        "sneaky.example.com.": [PUBLIC_V4, "127.0.0.1"],
        "localhost.": ["127.0.0.1", "::1"],
    }

    def fake_getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (
                socket.AF_INET6 if ":" in ip else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (ip, port),
            )
            for ip in table[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    return table


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/hook", "must use https://"),
        ("http://localhost/hook", "must use https://"),
        ("https://localhost/hook", "private or local network address (127.0.0.1)"),
        ("https://127.0.0.1/hook", "private or local network address (127.0.0.1)"),
        ("https://10.0.0.5/hook", "private or local network address (10.0.0.5)"),
        ("https://192.168.1.1/hook", "private or local network address"),
        ("https://172.16.0.1/hook", "private or local network address"),
        ("https://100.64.0.1/hook", "private or local network address"),
        ("https://[::1]/hook", "private or local network address (::1)"),
        ("https://[::ffff:127.0.0.1]/hook", "private or local network address"),
        ("https://[::ffff:10.0.0.1]/hook", "private or local network address"),
        ("https://[fe80::1]/hook", "private or local network address"),
        ("https://[fc00::1]/hook", "private or local network address"),
        ("https://[2002:7f00:1::]/hook", "private or local network address"),
        ("https://169.254.169.254/latest", "private or local network address (169.254.169.254)"),
        ("https://0.0.0.0/hook", "private or local network address"),
        ("https://224.0.0.1/hook", "private or local network address"),
        ("https://240.0.0.1/hook", "private or local network address"),
        ("https://user:pw@hooks.example.com/hook", "user name or password"),
        ("https://user@hooks.example.com/hook", "user name or password"),
        ("https://internal.example.com/hook", "private or local network address (10.20.30.40)"),
        ("https://sneaky.example.com/hook", "private or local network address (127.0.0.1)"),
        ("https://nowhere.example.com/hook", "could not be found"),
        ("ftp://hooks.example.com/hook", "must start with https://"),
        ("file:///etc/passwd", "must start with https://"),
        ("https:///hook", "not a valid web address"),
        ("https://hooks.example.com:99999/hook", "not a valid web address"),
    ],
)
def test_unsafe_webhook_urls_are_refused(url: str, reason: str) -> None:
    with pytest.raises(WebhookUrlError) as caught:
        webhook_url_check(url, allow_private=False)
    assert reason in str(caught.value)


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("https://hooks.example.com/services/T/B/X", PUBLIC_V4),
        ("https://hooks.example.com:8443/x?token=1", PUBLIC_V4),
        (f"https://{PUBLIC_V4}/hook", PUBLIC_V4),
        (f"https://[{PUBLIC_V6}]/hook", PUBLIC_V6),
        ("https://dual.example.com/hook", PUBLIC_V6),
    ],
)
def test_public_https_webhook_urls_are_accepted(url: str, address: str) -> None:
    vetted = webhook_url_check(url, allow_private=False)
    assert vetted.address == ipaddress.ip_address(address)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8065/hooks/abc",
        "http://localhost/hook",
        "https://internal.example.com/hook",
        "https://[::1]/hook",
    ],
)
def test_private_addresses_and_http_are_allowed_by_the_setting(url: str, settings: Any) -> None:
    settings.ALERTS_ALLOW_PRIVATE_WEBHOOKS = True
    webhook_url_check(url)

    settings.ALERTS_ALLOW_PRIVATE_WEBHOOKS = False
    with pytest.raises(WebhookUrlError):
        webhook_url_check(url)


def test_credentials_are_refused_even_when_private_addresses_are_allowed(settings: Any) -> None:
    settings.ALERTS_ALLOW_PRIVATE_WEBHOOKS = True
    with pytest.raises(WebhookUrlError, match="user name or password"):
        webhook_url_check("https://user:pw@hooks.example.com/hook")


def test_mapped_and_embedded_ipv4_are_judged_by_their_ipv4() -> None:
    assert not address_is_public(ipaddress.ip_address("::ffff:127.0.0.1"))
    assert not address_is_public(ipaddress.ip_address("::ffff:192.168.0.1"))
    assert not address_is_public(ipaddress.ip_address("2001:0:4136:e378:8000:63bf:3fff:fdd2"))
    assert address_is_public(ipaddress.ip_address(PUBLIC_V6))


def test_request_goes_to_the_vetted_address_with_tls_checked_for_the_name() -> None:
    vetted = webhook_url_check("https://hooks.example.com:8443/services/x?a=1", allow_private=False)
    assert _pinned_url(vetted) == f"https://{PUBLIC_V4}:8443/services/x?a=1"
    v6 = webhook_url_check(f"https://[{PUBLIC_V6}]/h", allow_private=False)
    assert _pinned_url(v6) == f"https://[{PUBLIC_V6}]/h"

    adapter = _PinnedAddressAdapter("hooks.example.com")
    request = requests.Request("POST", _pinned_url(vetted)).prepare()
    pool = adapter.get_connection_with_tls_context(request, verify=True)
    assert isinstance(pool, HTTPSConnectionPool)
    connection = pool._new_conn()
    assert (
        pool.host,
        getattr(connection, "server_hostname", None),
        connection.assert_hostname,
    ) == (
        PUBLIC_V4,
        "hooks.example.com",
        "hooks.example.com",
    )
