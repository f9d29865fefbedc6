from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "cadrebook.demo"
    label = "demo"
