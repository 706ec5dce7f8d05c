import logging.config
import os
from typing import Any

from celery import Celery, signals
from django.core.exceptions import ImproperlyConfigured

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


def task_time_limits(celery_app: Celery) -> dict[str, tuple[float | None, float | None]]:
    """Each registered task's (soft, hard) time limit in seconds, its own or the global one."""
    conf = celery_app.conf
    return {
        name: (
            task.soft_time_limit or conf.task_soft_time_limit,
            task.time_limit or conf.task_time_limit,
        )
        for name, task in celery_app.tasks.items()
        if not name.startswith("celery.")
    }


def time_limits_check(celery_app: Celery) -> None:
    """Refuse a hard time limit at or above the broker's visibility timeout, global or per task.

    Redis hands an unacknowledged message to another worker once the visibility timeout has
    passed: a task still running then would run twice. Its hard limit kills it before that.
    """
    visibility = (celery_app.conf.broker_transport_options or {}).get("visibility_timeout")
    if visibility is None:
        return
    too_long = {
        name: hard
        for name, (_soft, hard) in task_time_limits(celery_app).items()
        if hard is None or hard >= visibility
    }
    if too_long:
        listed = ", ".join(f"{name} ({hard} s)" for name, hard in sorted(too_long.items()))
        raise ImproperlyConfigured(
            f"These tasks' hard time limits are not below the broker's visibility timeout "
            f"({visibility} s), so they could run twice: {listed}. Lower the task's time_limit "
            f"or raise CELERY_BROKER_VISIBILITY_TIMEOUT (README.md, Configuration)."
        )


@signals.worker_init.connect
def _refuse_unsafe_time_limits(**kwargs: Any) -> None:
    # Sent once every task module is imported. Celery logs and swallows a signal handler's
    # exception, so leaving takes SystemExit: a worker that could run a task twice must not start.
    try:
        time_limits_check(app)
    except ImproperlyConfigured as exc:
        raise SystemExit(f"The worker refuses to start: {exc}") from exc
