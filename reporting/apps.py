from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Reporting"

    def ready(self) -> None:
        # Registers the receiver that adds demo goals and alert rules after seed_demo.
        from reporting import demo  # noqa: F401
