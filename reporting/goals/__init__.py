"""Goals: a target for a KPI over a period, with progress, pace and a projection to its end.

``services`` creates and edits goals, ``selectors`` reads them with their progress and
``pacing`` holds the arithmetic of the projection. ``periods`` is plain date arithmetic that
the Goal model also uses, so this package imports nothing at load time.
"""
