from django.contrib import admin

from sikesal.catalogue.models import Area, Institution, LiaisonContact, NonWorkingDay, Service, ServiceGroup


class LiaisonInline(admin.TabularInline):
    model = LiaisonContact
    extra = 0


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ("short_name", "name", "kind", "lapor_institution_id", "active")
    list_filter = ("kind", "active")
    search_fields = ("name", "short_name")
    inlines = [LiaisonInline]


@admin.register(ServiceGroup)
class ServiceGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "position")


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "group", "default_institution", "target_hours", "sla_tier", "active")
    list_filter = ("group", "sla_tier", "active", "default_institution")
    search_fields = ("name", "code", "keywords")


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("name", "code")


@admin.register(NonWorkingDay)
class NonWorkingDayAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "description")
    list_filter = ("kind",)
    date_hierarchy = "date"
