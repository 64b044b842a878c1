"""Reporter accounts by one-time code (being built)."""

from django.contrib.auth import logout
from django.shortcuts import redirect, render


def login_start(request):
    return render(request, "portal/login.html", {})


def login_code(request):
    return redirect("portal:login")


def logout_view(request):
    logout(request)
    return redirect("portal:home")


def my_reports(request):
    return redirect("portal:login")
