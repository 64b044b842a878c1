"""Worker tasks of the public portal."""

from django_tasks import task


@task()
def refresh_statistics():
    """Keep the public statistics computed ahead of visitors (at a million reports one run takes seconds)."""
    from sikesal.portal import statistics

    computed_at = statistics.refresh()
    return {"computed_at": computed_at.isoformat() if computed_at else None}
