import logging.config
import os
from typing import Any

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("rapport")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
def _task_log_context(task_id: str, task: Any, args: Any, kwargs: Any, **_: Any) -> None:
    from config.logs import task_context_start

    task_context_start(task=task, task_id=task_id, args=args, kwargs=kwargs)


@signals.task_postrun.connect
def _task_log_context_end(task_id: str, **_: Any) -> None:
    from config.logs import task_context_end

    task_context_end(task_id=task_id)


if os.environ.get("LOG_FORMAT", "").strip().lower() == "json":
    # A receiver here stops Celery from installing its own root handler: the worker and beat
    # then log through Django's LOGGING (one JSON object per line), at LOG_LEVEL.
    @signals.setup_logging.connect
    def _django_logging(**_: Any) -> None:
        from django.conf import settings

        logging.config.dictConfig(settings.LOGGING)


_heartbeat: Any = None


@signals.worker_ready.connect
def _heartbeat_start(sender: Any, **_: Any) -> None:
    global _heartbeat
    from config.background import HeartbeatThread

    _heartbeat = HeartbeatThread(hostname=sender.hostname)
    _heartbeat.start()


@signals.worker_shutdown.connect
def _heartbeat_stop(**_: Any) -> None:
    from config.background import worker_heartbeat_remove

    if _heartbeat is not None:
        _heartbeat.stop()
        try:
            worker_heartbeat_remove(hostname=_heartbeat.hostname)
        except Exception:  # the broker is away: the entry goes stale and is shown as such
            logging.getLogger(__name__).info("Heartbeat entry left for %s", _heartbeat.hostname)
