"""The data-collection pages: accounts, sync history, account actions, file imports and the
export download."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from typing import Any, cast

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from connectors.models import (
    AccountMetric,
    AccountStatus,
    FileImport,
    Post,
    Role,
    SocialAccount,
    SyncCursor,
    SyncRun,
    SyncStatus,
    SyncTrigger,
    User,
    Workspace,
)
from tests.factories import (
    PASSWORD,
    AccountMetricFactory,
    PostFactory,
    PostMetricFactory,
    SocialAccountFactory,
)

D = dt.date


@pytest.fixture
def configured(settings: Any) -> None:
    apps = {
        key: {"client_id": "", "client_secret": "", "api_base": ""}
        for key in settings.PLATFORM_KEYS
    }
    apps["instagram"] = {"client_id": "ig", "client_secret": "ig-secret", "api_base": ""}
    settings.PLATFORM_APPS = apps


@pytest.fixture
def connected(workspace: Workspace) -> SocialAccount:
    account = SocialAccountFactory.create(
        workspace=workspace, platform="instagram", display_name="Acme Insta", handle="@acme"
    )
    account.credentials = {"access_token": "t"}
    account.save()
    AccountMetricFactory.create(account=account, day=D(2026, 1, 10), metric="followers", value=1)
    AccountMetricFactory.create(account=account, day=D(2026, 3, 1), metric="followers", value=2)
    post = PostFactory.create(account=account)
    PostMetricFactory.create(post=post, day=D(2026, 3, 5), metric="likes", value=3)
    return account


@pytest.fixture
def file_only(workspace: Workspace) -> SocialAccount:
    return SocialAccountFactory.create(
        workspace=workspace, platform="tiktok", display_name="Acme Tok"
    )


def login(client: Client, user: User) -> Client:
    client.login(username=user.username, password=PASSWORD)
    return client


def url(name: str, *, workspace: str = "acme", **kwargs: Any) -> str:
    return reverse(f"connectors:{name}", kwargs={"workspace_slug": workspace, **kwargs})


def account_urls(account: SocialAccount) -> list[tuple[str, str, str]]:
    """(method, url, permission) of every workspace page and action of this part of the app."""
    a = account.pk
    return [
        ("get", url("accounts"), "view"),
        ("get", url("account_detail", account_id=a), "view"),
        ("post", url("account_sync", account_id=a), "manage"),
        ("post", url("account_pause", account_id=a), "manage"),
        ("post", url("account_resume", account_id=a), "manage"),
        ("get", url("account_remove", account_id=a), "manage"),
        ("post", url("account_remove", account_id=a), "manage"),
        ("post", url("connect_start", platform="instagram"), "manage"),
        ("get", url("connect_choose", pending_id="abc"), "manage"),
        ("get", url("import"), "manage"),
        ("post", url("import"), "manage"),
        ("get", url("import_preview", import_id=1), "manage"),
        ("post", url("import_confirm", import_id=1), "manage"),
        ("post", url("import_cancel", import_id=1), "manage"),
        ("get", url("export"), "export"),
    ]


def test_member_of_another_workspace_gets_404_everywhere(
    client: Client,
    connected: SocialAccount,
    other_workspace: Workspace,
    member_factory: Callable[..., User],
) -> None:
    login(client, member_factory(other_workspace, Role.ADMIN))
    for method, address, _permission in account_urls(connected):
        response = getattr(client, method)(address)
        assert response.status_code == 404, (method, address)
    SocialAccount.objects.get(pk=connected.pk)


def test_account_of_another_workspace_is_404_in_mine(
    client: Client, admin_member: User, other_workspace: Workspace
) -> None:
    theirs = SocialAccountFactory.create(workspace=other_workspace)
    login(client, admin_member)
    assert client.get(url("account_detail", account_id=theirs.pk)).status_code == 404
    assert client.post(url("account_remove", account_id=theirs.pk)).status_code == 404
    assert SocialAccount.objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize(
    ("role", "can_export"),
    [(Role.VIEWER, False), (Role.ANALYST, True), (Role.MANAGER, True)],
)
def test_roles_without_manage_accounts_get_403_on_actions(
    client: Client,
    connected: SocialAccount,
    workspace: Workspace,
    member_factory: Callable[..., User],
    role: str,
    can_export: bool,
) -> None:
    login(client, member_factory(workspace, role))
    for method, address, permission in account_urls(connected):
        allowed = permission == "view" or (permission == "export" and can_export)
        response = getattr(client, method)(address)
        assert response.status_code == (200 if allowed else 403), (role, method, address)
    connected.refresh_from_db()
    assert connected.status == AccountStatus.ACTIVE
    assert not SyncRun.objects.exists()


def test_viewer_sees_accounts_without_action_buttons(
    client: Client, viewer: User, connected: SocialAccount, configured: None
) -> None:
    page = login(client, viewer).get(url("accounts")).content.decode()
    assert "Acme Insta" in page and "@acme" in page
    assert "Sync now" not in page and "Remove" not in page and "Pause" not in page
    assert "Connect a platform" not in page
    # Coverage: first and last day with facts, posts included.
    assert "Jan. 10, 2026" in page and "March 5, 2026" in page
    nav = page.split('class="workspace-nav"')[1].split("</nav>")[0]
    assert "Accounts" in nav and "Import" not in nav and "Export" not in nav


def test_admin_sees_actions_connect_cards_and_nav(
    client: Client, admin_member: User, connected: SocialAccount, configured: None
) -> None:
    page = login(client, admin_member).get(url("accounts")).content.decode()
    assert "Sync now" in page and "Pause syncing" in page and "Remove…" in page
    assert "Connect a platform" in page and "Connect Instagram" in page
    nav = page.split('class="workspace-nav"')[1].split("</nav>")[0]
    assert 'aria-current="page">Accounts' in nav and "Import" in nav and "Export" in nav


def test_analyst_nav_offers_export_but_not_import(
    client: Client, workspace: Workspace, member_factory: Callable[..., User]
) -> None:
    page = login(client, member_factory(workspace, Role.ANALYST)).get(url("accounts"))
    nav = page.content.decode().split('class="workspace-nav"')[1].split("</nav>")[0]
    assert "Export" in nav and "Import" not in nav


def test_account_needing_reauth_says_what_happened_and_how_to_fix(
    client: Client, admin_member: User, connected: SocialAccount, configured: None
) -> None:
    connected.status = AccountStatus.NEEDS_REAUTH
    connected.save()
    SyncRun.objects.create(
        account=connected,
        trigger=SyncTrigger.SCHEDULE,
        status=SyncStatus.FAILED,
        error="Instagram refused the saved authorisation: the token has expired.",
    )
    page = login(client, admin_member).get(url("accounts")).content.decode()
    assert "Needs re-authorisation" in page
    assert "the token has expired" in page
    assert "How to fix it: reconnect the account" in page
    assert ">Reconnect<" in page and "Import a file" in page


def test_error_from_cursor_is_shown_when_no_run_says_why(
    client: Client, viewer: User, connected: SocialAccount
) -> None:
    connected.status = AccountStatus.ERROR
    connected.save()
    SyncCursor.objects.create(account=connected, last_error="Instagram is down (503).")
    page = login(client, viewer).get(url("accounts")).content.decode()
    assert "Instagram is down (503)." in page
    assert "An administrator of this workspace can fix it." in page


def test_demo_accounts_are_labelled_not_synced(
    client: Client, admin_member: User, workspace: Workspace
) -> None:
    workspace.is_demo = True
    workspace.save()
    demo = SocialAccountFactory.create(
        workspace=workspace, platform="instagram", external_id="demo-instagram"
    )
    imported = SocialAccountFactory.create(
        workspace=workspace, platform="import", display_name="Sheet"
    )
    login(client, admin_member)
    page = client.get(url("accounts")).content.decode()
    assert page.count("Demo data — not synced") == 1
    assert "Sync now" not in page
    assert "Updated by file imports" in page  # an account imported into the demo is a file one
    response = client.post(url("account_sync", account_id=demo.pk), follow=True)
    assert "Demo accounts are generated, not synced." in response.content.decode()
    response = client.post(url("account_sync", account_id=imported.pk), follow=True)
    assert "import a file to update it" in response.content.decode()
    assert not SyncRun.objects.exists()


def test_file_only_account_offers_import_instead_of_sync(
    client: Client, admin_member: User, file_only: SocialAccount
) -> None:
    login(client, admin_member)
    page = client.get(url("accounts")).content.decode()
    assert "Updated by file imports" in page and "Sync now" not in page
    assert f"{url('import')}?account=Acme%20Tok" in page
    response = client.post(url("account_sync", account_id=file_only.pk), follow=True)
    assert "import a file to update it" in response.content.decode()
    assert not SyncRun.objects.exists()


def test_sync_now_requests_a_manual_run(
    client: Client,
    admin_member: User,
    connected: SocialAccount,
    django_capture_on_commit_callbacks: Any,
) -> None:
    login(client, admin_member)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url("account_sync", account_id=connected.pk), follow=True)
    run = SyncRun.objects.get()
    assert (run.account, run.trigger, run.status) == (connected, "manual", SyncStatus.QUEUED)
    assert len(callbacks) == 1  # the task is sent once the request's transaction commits
    assert "Sync of Acme Insta started" in response.content.decode()
    # A second click while it is queued does not queue another one.
    response = client.post(url("account_sync", account_id=connected.pk), follow=True)
    assert SyncRun.objects.count() == 1
    assert "already under way" in response.content.decode()


def test_sync_now_reports_a_run_that_failed_at_once(
    client: Client, admin_member: User, connected: SocialAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail_now(*, account: SocialAccount, trigger: str, **kwargs: Any) -> SyncRun:
        return SyncRun.objects.create(
            account=account, trigger=trigger, status=SyncStatus.FAILED, error="Token revoked."
        )

    monkeypatch.setattr("connectors.views.accounts.sync_run_request", fail_now)
    response = login(client, admin_member).post(
        url("account_sync", account_id=connected.pk), {"next": "detail"}, follow=True
    )
    assert response.redirect_chain[-1][0] == url("account_detail", account_id=connected.pk)
    assert "Sync of Acme Insta failed: Token revoked." in response.content.decode()


def test_pause_and_resume(client: Client, admin_member: User, connected: SocialAccount) -> None:
    login(client, admin_member)
    client.post(url("account_pause", account_id=connected.pk))
    connected.refresh_from_db()
    assert connected.status == AccountStatus.PAUSED
    page = client.get(url("accounts")).content.decode()
    assert "Resume" in page and "Sync now" not in page
    response = client.post(url("account_sync", account_id=connected.pk), follow=True)
    assert "is paused: resume it first" in response.content.decode()
    assert not SyncRun.objects.exists()
    client.post(url("account_resume", account_id=connected.pk))
    connected.refresh_from_db()
    assert connected.status == AccountStatus.ACTIVE


def test_actions_refuse_get(client: Client, admin_member: User, connected: SocialAccount) -> None:
    login(client, admin_member)
    for name in ("account_sync", "account_pause", "account_resume"):
        assert client.get(url(name, account_id=connected.pk)).status_code == 405


def test_remove_asks_first_then_deletes_the_account_and_its_data(
    client: Client, admin_member: User, connected: SocialAccount, workspace: Workspace
) -> None:
    keep = SocialAccountFactory.create(workspace=workspace)
    AccountMetricFactory.create(account=keep)
    FileImport.objects.create(
        workspace=workspace, account=connected, original_name="a.csv", sha256="0" * 64
    )
    login(client, admin_member)
    page = client.get(url("account_remove", account_id=connected.pk)).content.decode()
    assert "deletes all of its data" in page
    assert "1 post" in page and "2 days of account figures" in page
    assert SocialAccount.objects.filter(pk=connected.pk).exists()

    response = client.post(url("account_remove", account_id=connected.pk), follow=True)
    assert "Acme Insta and all its data were removed." in response.content.decode()
    assert not SocialAccount.objects.filter(pk=connected.pk).exists()
    assert not Post.objects.filter(account_id=connected.pk).exists()
    assert list(AccountMetric.objects.values_list("account_id", flat=True)) == [keep.pk]
    assert FileImport.objects.get().account is None  # the import record stays, for audit


def test_history_lists_runs_newest_first_and_paginates(
    client: Client, viewer: User, connected: SocialAccount
) -> None:
    start = timezone.now() - dt.timedelta(days=2)
    for index in range(23):
        run = SyncRun.objects.create(
            account=connected,
            trigger=SyncTrigger.SCHEDULE,
            status=SyncStatus.SUCCEEDED,
            window_start=D(2026, 3, 1),
            window_end=D(2026, 3, 4),
            account_rows_written=index,
        )
        SyncRun.objects.filter(pk=run.pk).update(
            queued_at=start + dt.timedelta(hours=index),
            started_at=start + dt.timedelta(hours=index),
            finished_at=start + dt.timedelta(hours=index, seconds=75),
        )
    SyncRun.objects.filter(account_rows_written=22).update(
        status=SyncStatus.PARTIAL, warnings=["impressions: metric removed by Instagram, skipped."]
    )
    SyncRun.objects.filter(account_rows_written=21).update(
        status=SyncStatus.FAILED, error="Instagram is down."
    )
    login(client, viewer)
    first = client.get(url("account_detail", account_id=connected.pk))
    text = first.content.decode()
    assert [run.account_rows_written for run, _ in first.context["runs"]][:3] == [22, 21, 20]
    assert len(first.context["runs"]) == 20
    assert "Succeeded with warnings" in text and "metric removed by Instagram" in text
    assert "Instagram is down." in text
    assert "took 1 min 15 s" in text
    assert "Page 1 of 2" in text
    second = client.get(url("account_detail", account_id=connected.pk) + "?page=2")
    assert [run.account_rows_written for run, _ in second.context["runs"]] == [2, 1, 0]
    assert "Sync now" not in text


def test_export_page_downloads_csv(
    client: Client, workspace: Workspace, member_factory: Callable[..., User], connected
) -> None:
    login(client, member_factory(workspace, Role.ANALYST))
    page = client.get(url("export"))
    assert page.status_code == 200 and "Download" in page.content.decode()
    response = client.get(
        url("export"),
        {"level": "account", "account": connected.pk, "start": "2026-03-01", "format": "csv"},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        'filename="rapport-acme-account-acme-insta-2026-03-01_end.csv"'
        in (response["Content-Disposition"])
    )
    body = cast(StreamingHttpResponse, response).getvalue().decode("utf-8")
    assert body.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(body.lstrip("\ufeff")))) == [
        ["platform", "account", "day", "metric", "value"],
        ["instagram", "Acme Insta", "2026-03-01", "followers", "2"],
    ]


def test_export_page_downloads_xlsx_of_posts(
    client: Client, admin_member: User, connected: SocialAccount
) -> None:
    response = login(client, admin_member).get(url("export"), {"level": "post", "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    content = cast(StreamingHttpResponse, response).getvalue()
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("platform", "account", "post_id")
    assert rows[1][6:8] == ("likes", 3)


def test_export_refuses_bad_dates_and_foreign_accounts(
    client: Client, admin_member: User, connected: SocialAccount, other_workspace: Workspace
) -> None:
    login(client, admin_member)
    response = client.get(
        url("export"),
        {"level": "account", "format": "csv", "start": "2026-03-02", "end": "2026-03-01"},
    )
    assert response.status_code == 400
    assert "The first day must be on or before the last day." in response.content.decode()
    theirs = SocialAccountFactory.create(workspace=other_workspace)
    response = client.get(
        url("export"), {"level": "account", "format": "csv", "account": theirs.pk}
    )
    assert response.status_code == 400


# Imports ---------------------------------------------------------------------------------------

DAILY_CSV = (
    b"Date,Impressions,Likes,Note\r\n"
    b"2026-03-01,1200,30,launch\r\n"
    b'2026-03-02,"1,500",,\r\n'
    b"Total,2700,30,\r\n"
)
DAILY_MAPPING = {"Date": "date", "Impressions": "impressions", "Likes": "likes"}


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def upload(
    client: Client, content: bytes = DAILY_CSV, name: str = "daily.csv", **fields: Any
) -> Any:
    data: dict[str, Any] = {
        "account_name": "Acme Sheet",
        "platform": "",
        "format": "generic",
        "year": "",
    }
    data.update(fields)
    data["file"] = SimpleUploadedFile(name, content, content_type="text/csv")
    return client.post(url("import"), data)


def map_columns(client: Client, file_import: FileImport, mapping: dict[str, str]) -> Any:
    columns = ["Date", "Impressions", "Likes", "Note"]
    data: dict[str, Any] = {
        "account_name": "Acme Sheet",
        "platform": "",
        "format": "generic",
        "year": "",
        "map_columns": "1",
    }
    for index, column in enumerate(columns):
        data[f"map_{index}"] = mapping.get(column, "")
    return client.post(url("import_preview", import_id=file_import.pk), data)


def test_mapping_fields_are_the_importers_vocabulary() -> None:
    from connectors.forms import MAPPING_FIELDS
    from connectors.importers import FORMATS
    from connectors.importers.generic import FIELDS
    from connectors.views.imports import GENERIC_FORMAT

    assert {key for key, _label in MAPPING_FIELDS} == set(FIELDS)
    assert GENERIC_FORMAT in FORMATS


def test_generic_file_upload_mapping_preview_confirm(
    client: Client, admin_member: User, workspace: Workspace, media: None
) -> None:
    login(client, admin_member)
    response = upload(client)
    file_import = FileImport.objects.get()
    assert response["Location"] == url("import_preview", import_id=file_import.pk)
    assert file_import.sha256 == __import__("hashlib").sha256(DAILY_CSV).hexdigest()
    assert file_import.uploaded_by == admin_member
    assert file_import.file.read() == DAILY_CSV
    # A spreadsheet cannot be read before its columns are mapped: the page lists them.
    page = client.get(response["Location"])
    file_import.refresh_from_db()
    assert (file_import.status, file_import.summary) == ("previewed", {"needs_mapping": True})
    text = page.content.decode()
    assert "Next: say what each column holds." in text
    assert "Import these numbers" not in text
    assert page.context["mapping_form"].columns == ["Date", "Impressions", "Likes", "Note"]
    response = client.post(url("import_confirm", import_id=file_import.pk), follow=True)
    assert "Preview the file before importing it." in response.content.decode()

    response = map_columns(client, file_import, DAILY_MAPPING)
    assert response.status_code == 302
    file_import.refresh_from_db()
    assert file_import.status == "previewed"
    assert file_import.options["mapping"] == DAILY_MAPPING
    page = client.get(url("import_preview", import_id=file_import.pk))
    preview = page.context["preview"]
    assert (preview["rows_read"], preview["days_written"]) == (3, 2)
    assert preview["account_metric_rows_written"] == 3  # the empty Likes cell is not a zero
    assert preview["account_created"] is True
    assert preview["skipped"] == [{"row": 4, "reason": "“Total” row: a sum, not a day."}]
    text = page.content.decode()
    assert "new: will be created" in text and "Import these numbers" in text
    assert "The first 2 days (of 2)" in text and "1,500" in text
    assert not SocialAccount.objects.exists() and not AccountMetric.objects.exists()

    response = client.post(url("import_confirm", import_id=file_import.pk), follow=True)
    assert "Imported into Acme Sheet." in response.content.decode()
    file_import.refresh_from_db()
    account = SocialAccount.objects.get()
    assert (file_import.status, file_import.account) == ("imported", account)
    assert file_import.imported_at is not None
    assert file_import.summary["dry_run"] is False
    assert sorted(AccountMetric.objects.values_list("day", "metric", "value")) == [
        (D(2026, 3, 1), "impressions", 1200.0),
        (D(2026, 3, 1), "likes", 30.0),
        (D(2026, 3, 2), "impressions", 1500.0),
    ]
    # A second confirmation changes nothing.
    response = client.post(url("import_confirm", import_id=file_import.pk), follow=True)
    assert "already confirmed or cancelled" in response.content.decode()
    assert AccountMetric.objects.count() == 3
    listing = client.get(url("import")).content.decode()
    assert "daily.csv" in listing and "Imported" in listing and "2 days" in listing


def test_bad_cell_is_reported_with_row_and_column_and_nothing_is_written(
    client: Client, admin_member: User, media: None
) -> None:
    login(client, admin_member)
    content = DAILY_CSV.replace(b"1200", b"lots")
    upload(client, content)
    file_import = FileImport.objects.get()
    map_columns(client, file_import, DAILY_MAPPING)
    file_import.refresh_from_db()
    assert file_import.status == "failed"
    assert file_import.summary["error"]["row"] == 2
    assert file_import.summary["error"]["column"] == "Impressions"
    text = client.get(url("import_preview", import_id=file_import.pk)).content.decode()
    assert "Nothing was written" in text and "Row 2" in text and "“Impressions”" in text
    assert "Import these numbers" not in text
    assert client.post(url("import_confirm", import_id=file_import.pk)).status_code == 302
    assert not SocialAccount.objects.exists() and not AccountMetric.objects.exists()


def test_cancel_writes_nothing(client: Client, admin_member: User, media: None) -> None:
    login(client, admin_member)
    upload(client)
    file_import = FileImport.objects.get()
    map_columns(client, file_import, DAILY_MAPPING)
    response = client.post(url("import_cancel", import_id=file_import.pk), follow=True)
    assert "was cancelled; nothing was written" in response.content.decode()
    file_import.refresh_from_db()
    assert file_import.status == "cancelled"
    client.post(url("import_confirm", import_id=file_import.pk))
    assert not AccountMetric.objects.exists()
    page = client.get(url("import_preview", import_id=file_import.pk)).content.decode()
    assert "Import these numbers" not in page and "Preview again" not in page


def test_mapping_two_columns_to_one_field_is_refused(
    client: Client, admin_member: User, media: None
) -> None:
    login(client, admin_member)
    upload(client)
    file_import = FileImport.objects.get()
    response = map_columns(
        client, file_import, {"Date": "date", "Impressions": "likes", "Likes": "likes"}
    )
    assert response.status_code == 400
    assert "both go to the same field" in response.content.decode()


def test_file_over_the_size_limit_is_refused_before_reading(
    client: Client, admin_member: User, settings: Any, media: None
) -> None:
    settings.IMPORT_MAX_MB = 0
    login(client, admin_member)
    response = upload(client, b"Date,Impressions\r\n" + b"2026-03-01,1\r\n" * 20_000)
    assert response.status_code == 413
    assert "larger than 0 MB" in response.content.decode()
    assert not FileImport.objects.exists()
    # Within the framing allowance the form still checks the file's own size.
    response = upload(client, b"Date,Impressions\r\n2026-03-01,1\r\n")
    assert response.status_code == 400
    assert "larger than 0 MB" in response.content.decode()


def test_upload_without_csrf_token_is_refused(admin_member: User, media: None) -> None:
    client = Client(enforce_csrf_checks=True)
    login(client, admin_member)
    assert upload(client).status_code == 403
    assert not FileImport.objects.exists()


def test_upload_page_prefills_account_and_lists_names(
    client: Client, admin_member: User, file_only: SocialAccount
) -> None:
    page = login(client, admin_member).get(url("import") + "?account=Acme%20Tok")
    text = page.content.decode()
    assert 'value="Acme Tok"' in text and '<option value="Acme Tok">' in text
    assert "No file has been imported into this workspace yet." in text


def test_unrecognised_file_explains_and_offers_the_mapping(
    client: Client, admin_member: User, media: None
) -> None:
    login(client, admin_member)
    upload(client, format="")
    file_import = FileImport.objects.get()
    assert file_import.status == "failed"
    page = client.get(url("import_preview", import_id=file_import.pk))
    text = page.content.decode()
    assert "Rapport does not recognise this file" in text and "Nothing was written" in text
    assert page.context["mapping_form"] is not None
    map_columns(client, file_import, DAILY_MAPPING)
    file_import.refresh_from_db()
    assert file_import.status == "previewed" and file_import.options["format"] == "generic"


def test_connect_section_warns_when_site_url_is_another_address(
    client: Client, admin_member: User, settings: Any
) -> None:
    login(client, admin_member)
    settings.SITE_URL = "https://rapport.example.com"
    assert "the <code>SITE_URL</code> setting" in client.get(url("accounts")).content.decode()
    settings.SITE_URL = "http://testserver"
    assert "the <code>SITE_URL</code> setting" not in client.get(url("accounts")).content.decode()
