"""Django's admin, opened by role: the policy decides who enters and what they may change there, so
is_staff and is_superuser (which Django's own admin reads) grant nothing in SIKESAL."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from sikesal.complaints import policy
from sikesal.complaints.policy import Actor


class SikesalAdminSite(admin.AdminSite):
    site_header = _("SIKESAL Kota Jambi administration")
    site_title = "SIKESAL"
    index_title = _("Administration")

    def has_permission(self, request):
        return policy.can_use_django_admin(Actor.for_user(request.user))

    def login(self, request, extra_context=None):
        """Django admin's own log-in form would skip the second factor: people log in through ours."""
        from sikesal.backoffice.auth import admin_login_redirect

        if self.has_permission(request):
            return redirect("admin:index")
        return admin_login_redirect(request, extra_context)


class SikesalAdminConfig(AdminConfig):
    """Installed in place of django.contrib.admin, so `admin.site` and @admin.register are this site."""

    default_site = "sikesal.backoffice.admin_site.SikesalAdminSite"
