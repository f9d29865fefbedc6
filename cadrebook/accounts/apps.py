from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "cadrebook.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from cadrebook.accounts import signals  # noqa: F401  (connects the sign-in audit)
        from cadrebook.accounts.selectors import user_scope
        from cadrebook.core.scoping import register_scope_provider

        register_scope_provider(user_scope)
