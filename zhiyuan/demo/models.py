from django.db import models


class DemoSeed(models.Model):
    """A completed ``demo_seed`` run: which version of the demo data it loaded. ``python3 run.py``
    skips the seed (minutes on a large database) when the current version is recorded."""

    digest = models.CharField(max_length=64, unique=True)
    seeded_at = models.DateTimeField(auto_now_add=True)
