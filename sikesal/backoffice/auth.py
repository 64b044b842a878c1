"""Staff log-in: password, then a TOTP code (required for the admin koordinator), with lockout.

The password step never logs anyone in by itself when a second factor is due: it only parks the
user id in the session for a few minutes until the code arrives.
"""

import datetime as dt
import time

import segno
from django.conf import settings
from django.contrib.auth import authenticate, login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from sikesal.accounts import totp
from sikesal.accounts.models import User
from sikesal.accounts.roles import STAFF_ROLES

PENDING_SECONDS = 300


def _next_url(request):
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("backoffice:inbox")


def _locked(user):
    return user is not None and user.locked_until is not None and user.locked_until > timezone.now()


def _audit(request, kind, user, **detail):
    from sikesal.backoffice.models import AuditEntry
    from sikesal.core.ratelimit import client_ip

    AuditEntry.objects.create(user=user, kind=kind, detail=detail, ip=client_ip(request))


def _failed(request, user, username=""):
    """Count a failure; lock the account for a while after too many."""
    _audit(request, "login_failed", user, username=username[:150])
    if user is None:
        return
    user.failed_logins += 1
    if user.failed_logins >= settings.SIKESAL_LOGIN_MAX_FAILURES:
        user.locked_until = timezone.now() + dt.timedelta(minutes=settings.SIKESAL_LOGIN_LOCK_MINUTES)
        user.failed_logins = 0
    user.save(update_fields=["failed_logins", "locked_until"])


def login_view(request):
    if request.user.is_authenticated and request.user.role in STAFF_ROLES:
        return redirect(_next_url(request))
    error = None
    if request.method == "POST":
        username = request.POST.get("username", "")
        user = User.objects.filter(username=username).first()
        if _locked(user):
            error = _("Too many failed attempts. The account is locked for a while; try again later.")
        else:
            authenticated = authenticate(request, username=username, password=request.POST.get("password", ""))
            if authenticated is None or authenticated.role not in STAFF_ROLES:
                _failed(request, user, username)
                error = _("Wrong user name or password.")
            else:
                authenticated.failed_logins = 0
                authenticated.save(update_fields=["failed_logins"])
                if not authenticated.needs_second_factor:
                    login(request, authenticated)
                    _audit(request, "login", authenticated, second_factor=False)
                    return redirect(_next_url(request))
                request.session["pending_2fa"] = {
                    "user": authenticated.pk,
                    "at": time.time(),
                    "next": _next_url(request),
                }
                return redirect("backoffice:login_code")
    return render(
        request,
        "backoffice/login.html",
        {"error": error, "next": request.GET.get("next", "")},
        status=400 if error else 200,
    )


def login_code(request):
    pending = request.session.get("pending_2fa")
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        request.session.pop("pending_2fa", None)
        return redirect("backoffice:login")
    user = User.objects.get(pk=pending["user"])
    if not user.totp_secret:
        user.totp_secret = totp.new_secret()
        user.save(update_fields=["totp_secret"])
    error = None
    if request.method == "POST":
        counter = None if _locked(user) else totp.matching_counter(user.totp_secret, request.POST.get("code"))
        if counter is None or counter <= user.totp_last_counter:  # a code works once
            _failed(request, user, user.username)
            error = _("The code is wrong or expired.")
        else:
            user.totp_last_counter = counter
            user.totp_confirmed = True
            user.failed_logins = 0
            user.save(update_fields=["totp_last_counter", "totp_confirmed", "failed_logins"])
            del request.session["pending_2fa"]
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            _audit(request, "login", user, second_factor=True)
            return redirect(pending["next"])
    setup = None
    if not user.totp_confirmed:
        uri = totp.provisioning_uri(user.totp_secret, user.username)
        setup = {"secret": user.totp_secret, "qr": segno.make(uri, error="m").svg_inline(scale=4)}
    return render(request, "backoffice/login_code.html", {"error": error, "setup": setup}, status=400 if error else 200)


def admin_login_redirect(request, extra_context=None):
    """Django admin's own log-in form would skip the second factor: send people through ours."""
    return redirect(f"{reverse('backoffice:login')}?next={request.GET.get('next', '/admin/')}")
