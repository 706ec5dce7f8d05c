"""The built-in KPI library, as plain data seeded into every workspace.

Names and definitions are stored per language on each workspace's rows (admins may reword
them), so they are literal English and French here rather than translation strings. Plain
strings and no model imports keep this module usable from migrations.

The choices, and why (see the research notes, "Metric definitions and formulas"):

* Follower growth is the sum of each reported day's ``followers_gained - followers_lost``
  (the "net new followers" of the growth-rate definitions), not last minus first followers: it
  counts the first day's movement too, and a day a platform did not report adds nothing rather
  than being guessed.
* The follower growth rate divides that net growth by the audience at the start of the period.
  With a ratio of sums, stocks such as followers take each account's last value in the period,
  so the audience at the start is written ``followers - (followers_gained - followers_lost)``:
  the audience at the end minus what the period added.
* Engagement rates are ratios of the period's sums (Σ engagements ÷ Σ reach), the "Total
  Engagement %" of the research, so a day with a large audience weighs more than a quiet one.
  By followers, the denominator is the audience at the end of the period.
* Applause, conversation and amplification follow Kaushik's "per post" definitions as the issue
  asks: likes, comments or shares per post, averaged over the posts published in the period,
  each read on its latest snapshot (lifetime counters). The same holds for engagements per post,
  which uses a post's own engagement count when the platform gives one and otherwise adds up
  the interactions it reports (saves and clicks only where the platform counts them).
* Virality, click-through and video view rates divide by impressions, the one basis the X
  derived metrics and the research agree on.
* Posts published is the sum of the daily ``posts_published`` account fact, like every other
  count of the library, so it follows the same rules for missing days.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BuiltinKpi:
    key: str
    name_en: str
    name_fr: str
    description_en: str
    description_fr: str
    formula: str
    unit: str  # a KpiUnit value
    aggregation: str  # a KpiAggregation value
    direction: str = "higher_is_better"


_ENGAGEMENTS_OF_A_POST = (
    "coalesce(engagements, likes + comments + shares + coalesce(saves, 0) + coalesce(clicks, 0))"
)

_NET = "(followers_gained - followers_lost)"
_FOLLOWER_GROWTH_RATE = f"{_NET} / (followers - {_NET})"

BUILTIN_KPIS: tuple[BuiltinKpi, ...] = (
    BuiltinKpi(
        key="followers",
        name_en="Followers",
        name_fr="Abonnés",
        description_en=(
            "Audience at the end of the period: each account's last reported number of "
            "followers (page likes, subscribers), added up across accounts."
        ),
        description_fr=(
            "Audience à la fin de la période : le dernier nombre d’abonnés connu de chaque "
            "compte (mentions J’aime de la page, abonnés), additionné sur les comptes."
        ),
        formula="followers",
        unit="count",
        aggregation="last",
    ),
    BuiltinKpi(
        key="follower_growth",
        name_en="Net follower growth",
        name_fr="Croissance nette des abonnés",
        description_en=(
            "Followers gained minus followers lost, added up over every day of the period "
            "that the platform reported."
        ),
        description_fr=(
            "Abonnés gagnés moins abonnés perdus, additionnés sur chaque jour de la période "
            "communiqué par la plateforme."
        ),
        formula="followers_gained - followers_lost",
        unit="count",
        aggregation="sum",
    ),
    BuiltinKpi(
        key="follower_growth_rate",
        name_en="Follower growth rate",
        name_fr="Taux de croissance des abonnés",
        description_en=(
            "Net follower growth as a share of the audience at the start of the period. The "
            "audience at the start is the audience at the end minus the net growth."
        ),
        description_fr=(
            "Croissance nette des abonnés rapportée à l’audience du début de la période. "
            "L’audience du début est celle de la fin moins la croissance nette."
        ),
        formula=_FOLLOWER_GROWTH_RATE,
        unit="percent",
        aggregation="ratio_of_sums",
    ),
    BuiltinKpi(
        key="impressions",
        name_en="Impressions",
        name_fr="Impressions",
        description_en="Times content was shown during the period, repeats included.",
        description_fr="Nombre d’affichages des contenus sur la période, répétitions comprises.",
        formula="impressions",
        unit="count",
        aggregation="sum",
    ),
    BuiltinKpi(
        key="reach",
        name_en="Reach",
        name_fr="Portée",
        description_en=(
            "Daily reach added up over the period: someone reached on three days counts "
            "three times, since platforms do not give the distinct people of a whole period."
        ),
        description_fr=(
            "Portée quotidienne additionnée sur la période : une personne touchée trois jours "
            "compte trois fois, car les plateformes ne donnent pas les personnes distinctes "
            "d’une période entière."
        ),
        formula="reach",
        unit="count",
        aggregation="sum",
    ),
    BuiltinKpi(
        key="engagements",
        name_en="Engagements",
        name_fr="Interactions",
        description_en=(
            "Interactions during the period as each platform counts them (likes, comments, "
            "shares, saves, clicks)."
        ),
        description_fr=(
            "Interactions sur la période telles que chaque plateforme les compte (mentions "
            "J’aime, commentaires, partages, enregistrements, clics)."
        ),
        formula="engagements",
        unit="count",
        aggregation="sum",
    ),
    BuiltinKpi(
        key="engagement_rate_reach",
        name_en="Engagement rate (reach)",
        name_fr="Taux d’engagement (portée)",
        description_en="Engagements of the period divided by its reach (ratio of the totals).",
        description_fr="Interactions de la période divisées par sa portée (rapport des totaux).",
        formula="engagements / reach",
        unit="percent",
        aggregation="ratio_of_sums",
    ),
    BuiltinKpi(
        key="engagement_rate_impressions",
        name_en="Engagement rate (impressions)",
        name_fr="Taux d’engagement (impressions)",
        description_en=(
            "Engagements of the period divided by its impressions (ratio of the totals)."
        ),
        description_fr=(
            "Interactions de la période divisées par ses impressions (rapport des totaux)."
        ),
        formula="engagements / impressions",
        unit="percent",
        aggregation="ratio_of_sums",
    ),
    BuiltinKpi(
        key="engagement_rate_followers",
        name_en="Engagement rate (followers)",
        name_fr="Taux d’engagement (abonnés)",
        description_en=(
            "Engagements of the period divided by the audience at its end. It grows with the "
            "length of the period: compare periods of equal length."
        ),
        description_fr=(
            "Interactions de la période divisées par l’audience à sa fin. Il augmente avec la "
            "durée de la période : comparez des périodes de même longueur."
        ),
        formula="engagements / followers",
        unit="percent",
        aggregation="ratio_of_sums",
    ),
    BuiltinKpi(
        key="applause_rate",
        name_en="Applause rate (likes per post)",
        name_fr="Taux d’approbation (mentions J’aime par publication)",
        description_en=(
            "Average number of likes of the posts published in the period, each read on its "
            "latest count."
        ),
        description_fr=(
            "Nombre moyen de mentions J’aime des publications parues sur la période, chacune "
            "lue à son dernier relevé."
        ),
        formula="likes",
        unit="decimal",
        aggregation="mean_of_post_ratios",
    ),
    BuiltinKpi(
        key="conversation_rate",
        name_en="Conversation rate (comments per post)",
        name_fr="Taux de conversation (commentaires par publication)",
        description_en=(
            "Average number of comments of the posts published in the period, each read on "
            "its latest count."
        ),
        description_fr=(
            "Nombre moyen de commentaires des publications parues sur la période, chacune lue "
            "à son dernier relevé."
        ),
        formula="comments",
        unit="decimal",
        aggregation="mean_of_post_ratios",
    ),
    BuiltinKpi(
        key="amplification_rate",
        name_en="Amplification rate (shares per post)",
        name_fr="Taux d’amplification (partages par publication)",
        description_en=(
            "Average number of shares of the posts published in the period, each read on its "
            "latest count."
        ),
        description_fr=(
            "Nombre moyen de partages des publications parues sur la période, chacune lue à "
            "son dernier relevé."
        ),
        formula="shares",
        unit="decimal",
        aggregation="mean_of_post_ratios",
    ),
    BuiltinKpi(
        key="virality_rate",
        name_en="Virality rate",
        name_fr="Taux de viralité",
        description_en="Shares of the period divided by its impressions (ratio of the totals).",
        description_fr="Partages de la période divisés par ses impressions (rapport des totaux).",
        formula="shares / impressions",
        unit="percent",
        aggregation="ratio_of_sums",
    ),
    BuiltinKpi(
        key="ctr",
        name_en="Click-through rate",
        name_fr="Taux de clics",
        description_en="Clicks of the period divided by its impressions (ratio of the totals).",
        description_fr="Clics de la période divisés par ses impressions (rapport des totaux).",
        formula="clicks / impressions",
        unit="percent",
        aggregation="ratio_of_sums",
    ),
    BuiltinKpi(
        key="video_view_rate",
        name_en="Video view rate",
        name_fr="Taux de vues vidéo",
        description_en=(
            "Video views of the period divided by its impressions (ratio of the totals)."
        ),
        description_fr=(
            "Vues de vidéos de la période divisées par ses impressions (rapport des totaux)."
        ),
        formula="video_views / impressions",
        unit="percent",
        aggregation="ratio_of_sums",
    ),
    BuiltinKpi(
        key="posts_published",
        name_en="Posts published",
        name_fr="Publications",
        description_en=(
            "Posts published during the period, from the daily count each account reports."
        ),
        description_fr=(
            "Publications parues sur la période, d’après le décompte quotidien de chaque compte."
        ),
        formula="posts_published",
        unit="count",
        aggregation="sum",
    ),
    BuiltinKpi(
        key="engagements_per_post",
        name_en="Engagements per post",
        name_fr="Interactions par publication",
        description_en=(
            "Average engagements of the posts published in the period, each read on its latest "
            "count: the platform's engagement count for the post, or else its likes, comments "
            "and shares plus saves and clicks where the platform reports them."
        ),
        description_fr=(
            "Interactions moyennes des publications parues sur la période, chacune lue à son "
            "dernier relevé : le nombre d’interactions donné par la plateforme, ou à défaut "
            "ses mentions J’aime, commentaires et partages, plus les enregistrements et les "
            "clics quand la plateforme les fournit."
        ),
        formula=_ENGAGEMENTS_OF_A_POST,
        unit="decimal",
        aggregation="mean_of_post_ratios",
    ),
)

BUILTIN_KEYS: tuple[str, ...] = tuple(kpi.key for kpi in BUILTIN_KPIS)
