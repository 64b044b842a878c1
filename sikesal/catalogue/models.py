"""The catalogue: institutions (OPDs and external bodies), services (layanan), areas and the calendar."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class InstitutionKind(models.TextChoices):
    DINAS = "dinas", _("Dinas")
    BADAN = "badan", _("Badan")
    KANTOR = "kantor", _("Secretariat / office")
    BUMD = "bumd", _("Regional enterprise (BUMD)")
    KECAMATAN = "kecamatan", _("Kecamatan")
    KELURAHAN = "kelurahan", _("Kelurahan")
    EXTERNAL = "external", _("External institution (via SP4N-LAPOR!)")


class Institution(models.Model):
    """An OPD of the city, or an institution outside its authority reachable only through SP4N-LAPOR!."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    short_name = models.CharField(_("short name"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=InstitutionKind.choices)
    head_name = models.CharField(_("head's name"), max_length=120, blank=True)
    head_title = models.CharField(_("head's title"), max_length=120, blank=True)
    head_email = models.EmailField(_("head's e-mail"), blank=True)
    head_phone = models.CharField(_("head's phone"), max_length=20, blank=True)
    lapor_institution_id = models.CharField(
        _("SP4N-LAPOR! institution id"), max_length=32, null=True, blank=True, unique=True
    )
    area = models.ForeignKey(
        "catalogue.Area",
        verbose_name=_("area (for kecamatan/kelurahan offices)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        ordering = ["name"]

    def __str__(self):
        return self.short_name


class LiaisonContact(models.Model):
    """A liaison (admin penghubung) of an institution, reached by reminders and digests."""

    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="liaisons")
    name = models.CharField(_("name"), max_length=120)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("liaison contact")
        verbose_name_plural = _("liaison contacts")

    def __str__(self):
        return self.name


class ServiceGroup(models.Model):
    """A topic that groups services in the citizen's picker (roads, water, environment...)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("service group")
        verbose_name_plural = _("service groups")
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class SlaTier(models.TextChoices):
    """Tiers used in regional SOPs; the working days per tier live in settings."""

    RINGAN = "ringan", _("Light (ringan)")
    NORMATIF = "normatif", _("Normative (normatif)")
    TIDAK_BERKADAR = "tidak_berkadar", _("Without oversight content")
    BERKADAR = "berkadar", _("With oversight content")


ATTRIBUTE_DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")


def validate_extra_questions(value):
    """Extra questions are typed attributes (the Open311 attribute shape)."""
    if not isinstance(value, list):
        raise ValidationError(_("Extra questions must be a list."))
    codes = set()
    for item in value:
        if not isinstance(item, dict) or not item.get("code") or not item.get("description"):
            raise ValidationError(_("Each extra question needs a code and a description."))
        if item.get("datatype") not in ATTRIBUTE_DATATYPES:
            raise ValidationError(_("Unknown datatype for question %(code)s."), params={"code": item.get("code")})
        if item["datatype"].endswith("valuelist") and not item.get("values"):
            raise ValidationError(_("Question %(code)s needs a list of values."), params={"code": item["code"]})
        if item["code"] in codes:
            raise ValidationError(_("Duplicate question code %(code)s."), params={"code": item["code"]})
        codes.add(item["code"])


class Service(models.Model):
    """A service (layanan) a citizen can report about, routed by default to one OPD."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    keywords = models.TextField(_("keywords"), blank=True, help_text=_("Comma-separated words citizens use."))
    group = models.ForeignKey(ServiceGroup, verbose_name=_("group"), on_delete=models.PROTECT, related_name="services")
    default_institution = models.ForeignKey(
        Institution, verbose_name=_("default OPD"), on_delete=models.PROTECT, related_name="services"
    )
    target_hours = models.PositiveSmallIntegerField(_("target hours"), default=72)
    sla_tier = models.CharField(_("SLA tier"), max_length=20, choices=SlaTier.choices, default=SlaTier.NORMATIF)
    extra_questions = models.JSONField(
        _("extra questions"), default=list, blank=True, validators=[validate_extra_questions]
    )
    lapor_category_id = models.CharField(_("SP4N-LAPOR! category id"), max_length=32, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["group__position", "name"]

    def __str__(self):
        return self.name

    def keyword_list(self):
        return [k.strip() for k in self.keywords.split(",") if k.strip()]


class AreaLevel(models.TextChoices):
    KOTA = "kota", _("City")
    KECAMATAN = "kecamatan", _("Kecamatan")
    KELURAHAN = "kelurahan", _("Kelurahan")


class Area(models.Model):
    """An administrative area with its Kemendagri code (e.g. 15.71.01.1001)."""

    code = models.CharField(_("Kemendagri code"), max_length=16, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=AreaLevel.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["code"]

    def __str__(self):
        return self.name


class NonWorkingDayKind(models.TextChoices):
    CUTI_BERSAMA = "cuti_bersama", _("Collective leave (cuti bersama)")
    LOCAL = "local", _("Local non-working day")
    HOLIDAY = "holiday", _("Holiday not yet in the national list")


class NonWorkingDay(models.Model):
    """Days that are not working days beyond weekends and the national holidays (decreed yearly)."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=NonWorkingDayKind.choices)
    description = models.CharField(_("description"), max_length=200)

    class Meta:
        verbose_name = _("non-working day")
        verbose_name_plural = _("non-working days")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.description}"


class CatalogueVersion(models.Model):
    """When the published catalogue (services, their groups and questions) last changed.

    One row, moved forward by signals on every save or delete of a Service or ServiceGroup. Open311's
    discovery `changeset` is this time, so clients that cache service definitions know when to refresh.
    """

    changed_at = models.DateTimeField(_("catalogue changed at"))

    class Meta:
        verbose_name = _("catalogue version")
        verbose_name_plural = _("catalogue versions")

    def __str__(self):
        return self.changed_at.isoformat()

    @classmethod
    def bump(cls):
        """Move the version forward (strictly: never twice the same value, however fast the saves)."""
        import datetime as dt

        from django.utils import timezone

        now, current = timezone.now(), cls.current()
        changed_at = max(now, current + dt.timedelta(microseconds=1)) if current else now
        cls.objects.update_or_create(pk=1, defaults={"changed_at": changed_at})

    @classmethod
    def current(cls):
        return cls.objects.filter(pk=1).values_list("changed_at", flat=True).first()
