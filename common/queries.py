"""Query helpers any app may use."""

from django.db.models import Count, IntegerField, QuerySet, Subquery
from django.db.models.functions import Coalesce


def count_per_row(rows: QuerySet, *, per: str) -> Coalesce:
    """The number of ``rows`` per outer row, for an annotation: ``rows`` is filtered on
    ``OuterRef("pk")`` through the field ``per``. A list page's database runs it for the rows of the page
    only, where ``Count`` over a relation groups every related row of every listed object."""
    counted = rows.order_by().values(per).annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)
