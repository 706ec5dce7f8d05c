"""The native export formats Rapport knows, and how a file is recognised: by its header row,
never by its name (people rename files). The first format whose signature matches a header in
the first rows of any sheet wins; the order puts specific signatures before loose ones."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext_lazy

from connectors.importers import facebook, linkedin, meta, tiktok, x, youtube
from connectors.importers.collect import Format
from connectors.importers.core import Sheet
from connectors.importers.reading import header_find

GENERIC = "generic"
GENERIC_LABEL = gettext_lazy("Any spreadsheet, with a column mapping")

REGISTRY: tuple[Format, ...] = (
    Format(
        "x_tweet_activity",
        gettext_lazy("X tweet activity export"),
        "x",
        x.tweet_activity_signature,
        x.tweet_activity_parse,
        x.TWEET_ACTIVITY_COLUMNS,
    ),
    Format(
        "x_account_daily",
        gettext_lazy("X daily account activity export"),
        "x",
        x.account_daily_signature,
        x.account_daily_parse,
        x.ACCOUNT_DAILY_COLUMNS,
    ),
    Format(
        "x_post_analytics",
        gettext_lazy("X Premium post analytics export"),
        "x",
        x.post_analytics_signature,
        x.post_analytics_parse,
        x.POST_ANALYTICS_COLUMNS,
    ),
    Format(
        "youtube_table",
        gettext_lazy("YouTube Studio table data"),
        "youtube",
        youtube.table_signature,
        youtube.table_parse,
        youtube.TABLE_COLUMNS,
    ),
    Format(
        "youtube_chart",
        gettext_lazy("YouTube Studio chart data"),
        "youtube",
        youtube.chart_signature,
        youtube.chart_parse,
        youtube.CHART_COLUMNS,
        accepts=youtube.chart_or_daily_signature,
    ),
    Format(
        "tiktok_overview",
        gettext_lazy("TikTok overview export"),
        "tiktok",
        tiktok.overview_signature,
        tiktok.overview_parse,
        tiktok.OVERVIEW_COLUMNS,
    ),
    Format(
        "tiktok_content",
        gettext_lazy("TikTok content export"),
        "tiktok",
        tiktok.content_signature,
        tiktok.content_parse,
        tiktok.CONTENT_COLUMNS,
    ),
    Format(
        "tiktok_followers",
        gettext_lazy("TikTok follower history export"),
        "tiktok",
        tiktok.followers_signature,
        tiktok.followers_parse,
        tiktok.FOLLOWERS_COLUMNS,
    ),
    Format(
        "facebook_post_insights",
        gettext_lazy("Facebook Page Insights post export (legacy)"),
        "facebook",
        facebook.signature,
        facebook.parse,
        facebook.COLUMNS,
    ),
    Format(
        "meta_facebook_posts",
        gettext_lazy("Meta Business Suite export of Facebook posts"),
        "facebook",
        meta.facebook_signature,
        meta.facebook_parse,
        meta.FACEBOOK_COLUMNS,
    ),
    Format(
        "meta_instagram_posts",
        gettext_lazy("Meta Business Suite export of Instagram posts"),
        "instagram",
        meta.instagram_signature,
        meta.instagram_parse,
        meta.INSTAGRAM_COLUMNS,
    ),
    Format(
        "linkedin_content",
        gettext_lazy("LinkedIn Page content export"),
        "linkedin",
        linkedin.content_signature,
        linkedin.content_parse,
        linkedin.CONTENT_COLUMNS,
    ),
    Format(
        "linkedin_followers",
        gettext_lazy("LinkedIn Page followers export"),
        "linkedin",
        linkedin.followers_signature,
        linkedin.followers_parse,
        linkedin.FOLLOWERS_COLUMNS,
    ),
    Format(
        "linkedin_visitors",
        gettext_lazy("LinkedIn Page visitors export"),
        "linkedin",
        linkedin.visitors_signature,
        linkedin.visitors_parse,
        linkedin.VISITORS_COLUMNS,
    ),
    # Last: "Date" and any of YouTube's metric names is a loose signature.
    Format(
        "youtube_totals",
        gettext_lazy("YouTube Studio totals"),
        "youtube",
        youtube.totals_signature,
        youtube.totals_parse,
        youtube.TOTALS_COLUMNS,
    ),
)
BY_KEY = {fmt.key: fmt for fmt in REGISTRY}


def format_detect(sheets: Sequence[Sheet]) -> Format | None:
    """The native format of the file, or None when its header matches none."""
    for fmt in REGISTRY:
        if header_find(sheets, fmt.signature) is not None:
            return fmt
    return None
