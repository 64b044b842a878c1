from django.contrib import admin

from sikesal.backoffice.models import AuditEntry, ResponseTemplate


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "user", "kind", "complaint", "reason")
    list_filter = ("kind",)
    search_fields = ("user__username", "complaint__tracking_number", "reason")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ResponseTemplate)
class ResponseTemplateAdmin(admin.ModelAdmin):
    list_display = ("title", "action", "service", "active")
    list_filter = ("action", "active", "service__group")
    search_fields = ("title", "text")
