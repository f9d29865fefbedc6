from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "cadrebook.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from cadrebook.core import permissions  # noqa: F401  (registers the start-up check)
        from cadrebook.core.append_only import ensure_guards_after_migrate, guard

        # Every app's declared actions, before the first request or command asks for one.
        autodiscover_modules("permissions")

        guard("core_auditentry", "the audit log is append-only")
        # Once per migrate (sent for this app), after every migration ran.
        post_migrate.connect(
            ensure_guards_after_migrate, sender=self, dispatch_uid="cadrebook.append_only"
        )
