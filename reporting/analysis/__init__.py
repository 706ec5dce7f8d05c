"""Analysis selectors shared by dashboards, reports and insights.

Each returns a pandas DataFrame (or a small frozen dataclass for a single test result) with
a documented column contract; every query is scoped to one workspace. Modules:
``timeseries`` (a KPI over time with comparisons), ``posts`` (top and bottom posts),
``content`` (what works, by format, tag, hashtag, length, slot), ``timing`` (best times to
post, weekly and yearly seasonality), ``trends`` (trend test, anomalies), ``stats`` (tests).
"""
