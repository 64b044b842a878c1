"""Public statistics (being built)."""

from django.http import HttpResponse
from django.shortcuts import render


def statistics(request):
    return render(request, "portal/stats.html", {})


def statistics_csv(request):
    return HttpResponse("", content_type="text/csv; charset=utf-8")
