from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.IntegerChoices):
    """REG-2: the length of the code prefix that identifies a region at each level."""

    PROVINCE = 1, _("省级")
    CITY = 2, _("地级")
    COUNTY = 3, _("县级")
    TOWN = 4, _("乡级")
    VILLAGE = 5, _("村级")


PREFIX_LENGTH = {Level.PROVINCE: 2, Level.CITY: 4, Level.COUNTY: 6, Level.TOWN: 9, Level.VILLAGE: 12}


class Region(models.Model):
    """REG-1: an administrative division with its 12-digit statistical code (NBS 2023)."""

    code = models.CharField(_("区划代码"), max_length=12, primary_key=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.PositiveSmallIntegerField(_("级别"), choices=Level.choices, db_index=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    full_name = models.CharField(_("全称"), max_length=300)  # 广东省/惠州市/惠城区/…

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        constraints = [
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=5), name="region_level_range"),
        ]

    def __str__(self):
        return self.name

    @property
    def prefix(self) -> str:
        return self.code[: PREFIX_LENGTH[self.level]]


class RegionPopulation(models.Model):
    """REG-3: resident population (常住人口) of a region in a year, for rate indicators."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="populations")
    year = models.PositiveSmallIntegerField(_("年份"))
    population = models.PositiveBigIntegerField(_("常住人口"))
    source = models.CharField(_("来源"), max_length=200, blank=True)

    class Meta:
        ordering = ["region_id", "-year"]
        verbose_name = _("常住人口")
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="region_population_unique_year"),
        ]
