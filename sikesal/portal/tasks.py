"""Worker tasks of the public portal."""

from django_tasks import task


@task()
def refresh_statistics():
    """Keep the public statistics computed ahead of visitors (at a million reports one run takes seconds)."""
    from sikesal.portal import statistics

    return {"computed_at": statistics.cached(refresh=True)["computed_at"].isoformat()}


@task()
def purge_staged_uploads():
    """Files kept for a report form that was never sent again (portal/staged_uploads.py)."""
    from sikesal.portal import staged_uploads

    return {"removed": staged_uploads.purge()}
