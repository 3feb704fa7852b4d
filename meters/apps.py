from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MetersConfig(AppConfig):
    name = "meters"
    verbose_name = _("Приборы учёта")

    def ready(self):
        from billing import fragments

        from .models import ReadingWindow

        # The overview's cached block of an account says when readings may be submitted.
        fragments.forget_on_changes_of(ReadingWindow)
