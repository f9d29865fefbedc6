"""The pages of cadre work, mounted at /cadres/ (namespace `cadres`); the planning,
confidence-vote and rotation pages are `planning_urls.py`'s, at /cadres/planning/."""

from django.urls import path

from cadrebook.cadres import views

app_name = "cadres"

urlpatterns = [
    path("worklists/", views.worklist_page, name="worklists"),
    path("units/<str:code>/", views.unit_posts, name="unit"),
    path("units/<str:code>/terms/open/", views.term_open, name="term_open"),
    path("units/<str:code>/terms/close/", views.term_close, name="term_close"),
    path("units/<str:code>/elect/", views.elect, name="elect"),
    path("units/<str:code>/appoint/", views.appoint, name="appoint"),
    path("units/<str:code>/members/lookup/", views.member_lookup, name="member_lookup"),
    path("posts/<int:pk>/", views.holding_detail, name="holding"),
    path("posts/<int:pk>/end/", views.holding_end_page, name="holding_end"),
    path("posts/<int:pk>/void/", views.holding_void_page, name="holding_void"),
    path("people/<int:pk>/", views.person, name="person"),
]
