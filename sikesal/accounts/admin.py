import secrets

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from sikesal.accounts.models import ApiKey, User
from sikesal.complaints import policy


@admin.register(User)
class SikesalUserAdmin(UserAdmin):
    list_display = ("username", "get_full_name", "role", "institution", "is_active")
    list_filter = ("role", "institution", "is_active")
    # The role decides everything, Django's admin included (policy.can_use_django_admin): the staff and
    # superuser flags, groups and per-user permissions would only look like they do something.
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Role in SIKESAL"), {"fields": ("role", "institution", "phone", "is_active")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = UserAdmin.add_fieldsets + ((_("Role in SIKESAL"), {"fields": ("role", "institution")}),)


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"),
        choices=[
            (policy.SCOPE_FILE, _("reports:file — file reports (a kiosk, a chat bot)")),
            (policy.SCOPE_READ, _("reports:read — read what the public may read")),
            (policy.SCOPE_ACT, _("reports:act — act as the institution's OPD on its reports")),
        ],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = ApiKey
        fields = ("name", "scopes", "institution", "rate_limit_per_minute", "active")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ("name", "prefix", "scopes", "institution", "active", "rate_limit_per_minute", "last_used_at")
    list_filter = ("active", "institution")
    readonly_fields = ("prefix", "created_at", "last_used_at")

    def save_model(self, request, obj, form, change):
        """A new key gets a random value, shown once: only its hash is kept."""
        if not change:
            value = secrets.token_urlsafe(24)
            obj.set_key(value)
            messages.warning(
                request, _("The new API key is %(key)s. Copy it now: it is not shown again.") % {"key": value}
            )
        super().save_model(request, obj, form, change)
