import datetime as dt
import time

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sikesal.accounts.roles import Role, belongs_to_one_opd


class SikesalUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        """`createsuperuser` makes an admin koordinator: the role, not the flag, opens Django's admin."""
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A person who logs in: a reporter with an account, or staff in one role.

    OPD roles are tied to one institution; an OPD never sees another OPD's reports.
    """

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.CITIZEN)
    institution = models.ForeignKey(
        "catalogue.Institution",
        verbose_name=_("institution (OPD)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # Two-factor authentication (TOTP) and lockout; required for the admin koordinator.
    totp_secret = models.CharField(max_length=64, blank=True, editable=False)
    totp_confirmed = models.BooleanField(_("two-factor authentication active"), default=False)
    totp_last_counter = models.BigIntegerField(default=0, editable=False)
    failed_logins = models.PositiveSmallIntegerField(default=0, editable=False)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    objects = SikesalUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def clean(self):
        super().clean()
        if belongs_to_one_opd(self.role) and not self.institution_id:
            raise ValidationError({"institution": _("OPD roles must belong to an OPD.")})
        if not belongs_to_one_opd(self.role) and self.institution_id:
            raise ValidationError({"institution": _("Only OPD roles belong to an OPD.")})

    # Django's admin asks these for every model page: the role decides (policy.can_use_django_admin),
    # never is_superuser or per-user permission rows.
    def has_perm(self, perm, obj=None):
        from sikesal.complaints import policy

        return policy.can_use_django_admin(policy.Actor.for_user(self))

    def has_module_perms(self, app_label):
        return self.has_perm(app_label)


def citizen_username(contact):
    """The account name of a citizen who logged in with a one-time code sent to `contact` (the contact as
    typed). Only that log-in creates such an account, so its existence proves the contact's owner confirmed
    it (notify/handlers.py asks, to decide whether a contact is confirmed)."""
    return f"warga:{contact}"


def hash_api_key(value):
    import hashlib

    return hashlib.sha256(value.encode()).hexdigest()


class ApiKey(models.Model):
    """A partner application's key (super app, kiosk, bot). Only its hash is stored; revocable."""

    name = models.CharField(_("partner"), max_length=120)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("key prefix"), max_length=8, editable=False)
    # reports:file (file reports), reports:read (read what the public may), reports:act (act as the OPD of
    # `institution` on its reports): see complaints/policy.py.
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    institution = models.ForeignKey(
        "catalogue.Institution",
        verbose_name=_("institution"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("An acting key (reports:act) acts only on this institution's reports."),
    )
    rate_limit_per_minute = models.PositiveIntegerField(_("rate limit per minute"), default=120)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def clean(self):
        from sikesal.complaints.policy import PARTNER_SCOPES, SCOPE_ACT

        unknown = sorted(set(self.scopes or ()) - set(PARTNER_SCOPES))
        if unknown:
            raise ValidationError({"scopes": _("Unknown scope: %(s)s.") % {"s": ", ".join(unknown)}})
        if SCOPE_ACT in (self.scopes or ()) and not self.institution_id:
            raise ValidationError({"institution": _("An acting key belongs to one institution.")})

    def set_key(self, value):
        self.key_hash = hash_api_key(value)
        self.prefix = value[:8]

    @classmethod
    def lookup(cls, value):
        """The active key with this value, or None. Kept in this process for `KEY_CACHE_SECONDS` (a partner
        filing hundreds of reports a second would otherwise add a query to each); a change saved here
        applies at once, in another process within those seconds (docs/api.md)."""
        if not value:
            return None
        digest = hash_api_key(value)
        now = time.monotonic()
        cached = _KEYS.get(digest)
        if cached is None or now - cached[1] >= KEY_CACHE_SECONDS:
            row = cls.objects.filter(key_hash=digest, active=True).values_list(*_KEY_FIELDS).first()
            if len(_KEYS) >= KEY_CACHE_SIZE:  # random keys (misses are cached too) must not grow it without end
                _KEYS.clear()
            cached = _KEYS[digest] = (row, now)
        if cached[0] is None:
            return None
        key = cls.from_db(cls.objects.db, _KEY_FIELDS, cached[0])  # a fresh object: callers may change theirs
        used = timezone.now()
        if key.last_used_at is None or used - key.last_used_at > dt.timedelta(minutes=1):  # one write a minute
            cls.objects.filter(pk=key.pk).update(last_used_at=used)
            _KEYS.pop(digest, None)
        return key


# ApiKey.lookup's cache: key hash -> (the row's values or None, time.monotonic() when read).
KEY_CACHE_SECONDS = 2.0
KEY_CACHE_SIZE = 4096
_KEYS = {}
_KEY_FIELDS = tuple(f.attname for f in ApiKey._meta.concrete_fields)


def forget_api_keys(**kwargs):
    _KEYS.clear()


models.signals.post_save.connect(forget_api_keys, sender=ApiKey, dispatch_uid="forget_api_keys_saved")
models.signals.post_delete.connect(forget_api_keys, sender=ApiKey, dispatch_uid="forget_api_keys_deleted")
