"""Every report filed writes each index of its table: no index is kept that another index leads."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def _indexes(table):
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    # (an expression index, the full-text one on PostgreSQL, lists no columns)
    return [
        tuple(info["columns"])
        for info in found.values()
        if info["index"] and not info["primary_key"] and info["columns"]
    ]


@pytest.mark.parametrize("table", ["complaints_complaint", "complaints_event"])
def test_no_index_is_the_leading_part_of_another(table):
    indexes = _indexes(table)
    redundant = [
        short
        for short in indexes
        for long in indexes
        if short != long and len(short) < len(long) and long[: len(short)] == short
    ]
    assert redundant == []
    # the look-ups the dropped ones served still have an index that starts with their column
    for column in {
        "complaints_complaint": ("area_id", "service_id", "institution_id"),
        "complaints_event": ("complaint_id",),
    }[table]:
        assert any(index[0] == column for index in indexes), column
