from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationsConfig(AppConfig):
    name = "cadrebook.evaluations"
    label = "evaluations"
    verbose_name = _("Evaluations and targets")
