from django.urls import path

from cadrebook.accounts import security, views

app_name = "accounts"
urlpatterns = [
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke_view, name="token_revoke"),
    path("security/", security.security, name="security"),
    path("security/two-factor/", security.two_factor_enrol_view, name="two_factor_enrol"),
    path("security/two-factor/off/", security.two_factor_disable_view, name="two_factor_disable"),
    path("security/backup-codes/", security.backup_codes, name="backup_codes"),
    path("security/password/", security.password_change_view, name="password_change"),
    path("users/", security.users, name="users"),
    path("users/<int:pk>/security/", security.user_security, name="user_security"),
]
