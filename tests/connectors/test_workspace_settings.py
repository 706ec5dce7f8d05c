"""The workspace settings page: branding for reports, admins only, logos checked."""

from __future__ import annotations

import io
import os
import struct
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from connectors.models import Role, User, Workspace
from tests.factories import PASSWORD


def client_for(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def png(size: tuple[int, int] = (40, 20), kind: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "#336699").save(buffer, format=kind)
    return buffer.getvalue()


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def url(workspace: Workspace, name: str = "workspace_settings") -> str:
    return reverse(f"connectors:{name}", kwargs={"workspace_slug": workspace.slug})


def post(workspace: Workspace, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": workspace.name,
        "timezone": workspace.timezone,
        "language": workspace.language,
        "primary_color": workspace.primary_color,
        "report_footer": workspace.report_footer,
    }
    data.update(changes)
    return data


def test_admin_sets_the_branding_and_members_see_the_logo(
    workspace: Workspace, admin_member: User, viewer: User, media: Any
) -> None:
    logo = SimpleUploadedFile("../../evil name.png", png(), content_type="image/png")
    response = client_for(admin_member).post(
        url(workspace),
        post(workspace, primary_color="#aa3300", report_footer="Acme & co", logo=logo),
    )
    assert response.status_code == 302
    workspace.refresh_from_db()
    assert workspace.primary_color == "#aa3300" and workspace.report_footer == "Acme & co"
    name = workspace.logo.name or ""
    assert name.startswith("logos/logo") and name.endswith(".png")
    served = client_for(viewer).get(url(workspace, "workspace_logo"))
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == png()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "valid image"),
        (png(kind="GIF"), "not a PNG"),
        (png((5000, 10)), "larger than 4000 pixels"),
    ],
)
def test_a_logo_that_is_not_a_small_png_or_jpeg_is_refused(
    workspace: Workspace, admin_member: User, media: Any, content: bytes, message: str
) -> None:
    logo = SimpleUploadedFile("logo.png", content, content_type="image/png")
    response = client_for(admin_member).post(url(workspace), post(workspace, logo=logo))
    assert response.status_code == 200
    assert message in response.content.decode()
    workspace.refresh_from_db()
    assert not workspace.logo


def test_a_bad_colour_is_refused(workspace: Workspace, admin_member: User) -> None:
    response = client_for(admin_member).post(url(workspace), post(workspace, primary_color="red"))
    assert response.status_code == 200 and "hex colour" in response.content.decode()


def test_only_admins_change_settings(
    workspace: Workspace,
    other_workspace: Workspace,
    member_factory: Callable[..., User],
    viewer: User,
) -> None:
    manager = member_factory(workspace, Role.MANAGER)
    assert client_for(manager).get(url(workspace)).status_code == 403
    assert client_for(viewer).post(url(workspace), post(workspace, name="X")).status_code == 403
    stranger = member_factory(other_workspace, Role.ADMIN)
    assert client_for(stranger).get(url(workspace)).status_code == 404
    assert client_for(stranger).get(url(workspace, "workspace_logo")).status_code == 404


def test_removing_the_logo_deletes_the_file(
    workspace: Workspace, admin_member: User, media: Any
) -> None:
    client = client_for(admin_member)
    logo = SimpleUploadedFile("logo.png", png(), content_type="image/png")
    client.post(url(workspace), post(workspace, logo=logo))
    workspace.refresh_from_db()
    stored = media / workspace.logo.name
    assert stored.exists()
    client.post(url(workspace), post(workspace, remove_logo="on"))
    workspace.refresh_from_db()
    assert not workspace.logo and not stored.exists()
    assert client.get(url(workspace, "workspace_logo")).status_code == 404


def test_the_nav_offers_settings_to_admins_only(
    workspace: Workspace, admin_member: User, viewer: User
) -> None:
    accounts = url(workspace, "workspace_settings").replace("settings/", "accounts/")
    assert url(workspace) in client_for(admin_member).get(accounts).content.decode()
    assert url(workspace) not in client_for(viewer).get(accounts).content.decode()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` × ``height`` pixels in a few bytes (a decompression bomb's
    header: Pillow reads the size before any pixel)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    chunks = chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def _noise_png(side: int) -> bytes:
    """A real PNG of random pixels: it does not compress, so 1000 × 1000 is about 3 MB."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (_noise_png(1000), "The logo is larger than 2 MB."),
        (_png_header_only(20_000, 20_000), "The logo is larger than 4000 pixels on a side."),
    ],
)
def test_a_logo_past_the_size_limit_or_a_decompression_bomb_is_refused_with_a_message(
    workspace: Workspace, admin_member: User, media: Any, content: bytes, message: str
) -> None:
    logo = SimpleUploadedFile("logo.png", content, content_type="image/png")
    response = client_for(admin_member).post(url(workspace), post(workspace, logo=logo))
    assert response.status_code == 200
    assert message in response.content.decode()
    workspace.refresh_from_db()
    assert not workspace.logo
