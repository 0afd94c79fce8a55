from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data set. Sits on top of every app (like the project package) and may import
    all of them; nothing imports it."""

    name = "zhiyuan.demo"
    label = "demo"
