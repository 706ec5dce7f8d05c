"""Signals other apps listen to, so that ``connectors`` never imports them."""

from django.dispatch import Signal

# Sent after ``seed_demo`` wrote the demo workspace's history, with ``workspace`` and ``end`` (the
# last day of history). ``reporting`` adds its demo goals and alert rules on it.
demo_workspace_seeded = Signal()
