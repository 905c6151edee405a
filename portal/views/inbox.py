"""The supplier contact's task inbox: what their company must do, most urgent first (``portal.selectors``)."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from ..access import supplier_required
from ..selectors import inbox_tasks


@supplier_required
def inbox(request):
    tasks = inbox_tasks(supplier_id=request.portal.supplier.pk, today=timezone.localdate())
    return render(request, "portal/supplier/inbox.html", {"tasks": tasks, "nav": "inbox"})


urlpatterns = [
    path("inbox/", inbox, name="inbox"),
]
