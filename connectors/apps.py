from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "connectors"
    verbose_name = "Connectors and data"

    def ready(self) -> None:
        from connectors import audit_signals  # noqa: F401  (connects the auth signal handlers)
