"""Staff log-in: password, then a TOTP code (required for the admin koordinator), with throttles and lockout.

The password step never logs anyone in by itself when a second factor is due: it only parks the
user id in the session for a few minutes until the code arrives.
"""

import datetime as dt
import time

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.db.models import F, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from sikesal.accounts import totp
from sikesal.accounts.models import User
from sikesal.complaints import policy
from sikesal.core import ratelimit
from sikesal.core.ratelimit import client_ip, client_key

PENDING_SECONDS = 300


def _next_url(request):
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    # A path on this site only: anything else ("x:y" would even be read as a URL name by redirect()).
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("backoffice:inbox")


def _locked(user):
    return user is not None and user.locked_until is not None and user.locked_until > timezone.now()


def _audit(request, kind, user, **detail):
    from sikesal.backoffice.models import AuditEntry

    AuditEntry.objects.create(user=user, kind=kind, detail=detail, ip=client_ip(request))


def _lock_seconds():
    return settings.SIKESAL_LOGIN_LOCK_MINUTES * 60


def _password_refused(request, username):
    """Too many wrong passwords for this user name from this address, or from this address at all.

    Password failures are counted per (user name, address) and per address, never against the account:
    otherwise anyone could lock the admin koordinator out with five wrong passwords.
    """
    ip = client_key(request)
    return (
        ratelimit.strikes("login-user-ip", f"{username}|{ip}") >= settings.SIKESAL_LOGIN_MAX_FAILURES
        or ratelimit.strikes("login-ip", ip) >= settings.SIKESAL_LOGIN_MAX_FAILURES_PER_IP
    )


def _password_failed(request, user, username):
    _audit(request, "login_failed", user, username=username[:150])
    ip = client_key(request)
    ratelimit.strike("login-user-ip", f"{username}|{ip}", _lock_seconds())
    ratelimit.strike("login-ip", ip, _lock_seconds())


def _claim_code_try(user):
    """Count a second-factor try before checking it, in one conditional UPDATE.

    The count is the account's own (a correct password does not reset it, and only someone who knows the
    password gets this far, so it cannot be used to lock others out), and parallel guesses cannot pass the
    limit: each must win a row update while the count is below it. `failed_logins` holds this count.
    """
    unlocked = Q(locked_until__isnull=True) | Q(locked_until__lte=timezone.now())
    return (
        User.objects.filter(unlocked, pk=user.pk, failed_logins__lt=settings.SIKESAL_LOGIN_MAX_FAILURES).update(
            failed_logins=F("failed_logins") + 1
        )
        == 1
    )


def _code_failed(request, user):
    _audit(request, "login_failed", user, username=user.username, second_factor=True)
    User.objects.filter(pk=user.pk, failed_logins__gte=settings.SIKESAL_LOGIN_MAX_FAILURES).update(
        failed_logins=0, locked_until=timezone.now() + dt.timedelta(seconds=_lock_seconds())
    )


LOCKED_MESSAGE = _lazy("Too many failed attempts. The account is locked for a while; try again later.")


def login_view(request):
    if policy.may_log_in_to_backoffice(request.user):
        return redirect(_next_url(request))
    error = None
    if request.method == "POST":
        username = request.POST.get("username", "")
        user = User.objects.filter(username=username).first()
        if _locked(user) or _password_refused(request, username):
            error = str(LOCKED_MESSAGE)
        else:
            authenticated = authenticate(request, username=username, password=request.POST.get("password", ""))
            if not policy.may_log_in_to_backoffice(authenticated):
                _password_failed(request, user, username)
                error = _("Wrong user name or password.")
            else:
                ratelimit.forgive("login-user-ip", f"{username}|{client_key(request)}")
                if not policy.needs_second_factor(authenticated):
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
        if not _claim_code_try(user):
            request.session.pop("pending_2fa", None)  # the password must be given again after the lock
            return render(request, "backoffice/login_code.html", {"error": str(LOCKED_MESSAGE)}, status=400)
        user.refresh_from_db(fields=["totp_last_counter"])
        counter = totp.matching_counter(user.totp_secret, request.POST.get("code"))
        # a code works once: claim its time step atomically, so two parallel requests cannot both use it
        used = (
            counter is not None
            and User.objects.filter(pk=user.pk, totp_last_counter__lt=counter).update(
                totp_last_counter=counter, totp_confirmed=True, failed_logins=0
            )
            == 1
        )
        if not used:
            _code_failed(request, user)
            error = _("The code is wrong or expired.")
        else:
            del request.session["pending_2fa"]
            user.refresh_from_db()
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            _audit(request, "login", user, second_factor=True)
            return redirect(pending["next"])
    setup = None
    if not user.totp_confirmed:
        uri = totp.provisioning_uri(user.totp_secret, user.username)
        setup = {"secret": user.totp_secret, "qr": segno.make(uri, error="m").svg_inline(scale=4)}
    return render(request, "backoffice/login_code.html", {"error": error, "setup": setup}, status=400 if error else 200)


def admin_login_redirect(request, extra_context=None):
    """Django admin's own log-in form would skip the second factor: send people through ours.

    Staff already logged in land here when the admin refuses them (no admin access): sending them to the
    log-in again would bounce straight back to /admin/, so they go to the back office with a message.
    """
    if policy.may_log_in_to_backoffice(request.user):
        messages.error(request, _("Your account has no access to the administration pages."))
        return redirect("backoffice:inbox")
    return redirect(f"{reverse('backoffice:login')}?next={request.GET.get('next', '/admin/')}")
