import secrets

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from sikesal.accounts.models import ApiKey, User


@admin.register(User)
class SikesalUserAdmin(UserAdmin):
    list_display = ("username", "get_full_name", "role", "institution", "is_active")
    list_filter = ("role", "institution", "is_active")
    fieldsets = UserAdmin.fieldsets + ((_("Role in SIKESAL"), {"fields": ("role", "institution", "phone")}),)
    add_fieldsets = UserAdmin.add_fieldsets + ((_("Role in SIKESAL"), {"fields": ("role", "institution")}),)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "active", "rate_limit_per_minute", "created_at")
    list_filter = ("active",)
    readonly_fields = ("prefix", "created_at")

    def save_model(self, request, obj, form, change):
        """A new key gets a random value, shown once: only its hash is kept."""
        if not change:
            value = secrets.token_urlsafe(24)
            obj.set_key(value)
            messages.warning(
                request, _("The new API key is %(key)s. Copy it now: it is not shown again.") % {"key": value}
            )
        super().save_model(request, obj, form, change)
