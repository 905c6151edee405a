"""Who sees which declarations, and who may upload them.

- ESG managers (``minerals.add_declaration``): read and upload declarations of any supplier.
- Procurement (``minerals.view_declaration``): read all, upload none.
- A supplier contact (in the "Supplier contact" group and linked to an active contact:
  ``suppliers.accounts.contact_of``): reads and
  uploads their own supplier's declarations only.
- Anyone else: nothing.

Declarations outside the caller's scope are absent from the queryset, so they answer 404, never 403.
The smelter registry (RMI's public list) is readable by every signed-in user.
"""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework.permissions import SAFE_METHODS, BasePermission

from minerals.models import Declaration, DeclarationDraft, DueDiligenceAction, ImportBatchFile
from suppliers import roles
from suppliers.accounts import supplier_id_of
from suppliers.models import Supplier

VIEW_ALL = "minerals.view_declaration"
UPLOAD_ANY = "minerals.add_declaration"


def is_supplier_contact(user) -> bool:
    return roles.has_role(user, roles.SUPPLIER_CONTACT)


def declarations_visible_to(*, user) -> QuerySet[Declaration]:
    declarations = Declaration.objects.all()
    if not user.is_authenticated:
        return declarations.none()
    if user.has_perm(VIEW_ALL):
        return declarations
    if is_supplier_contact(user):
        return declarations.filter(supplier_id=supplier_id_of(user))
    return declarations.none()


def declaration_drafts_visible_to(*, user) -> QuerySet[DeclarationDraft]:
    """Files checked but not submitted yet (``services.declaration_check``): a supplier contact's own, of
    their supplier; nobody else's (a draft is only a step of its author's upload)."""
    if not user.is_authenticated or not is_supplier_contact(user):
        return DeclarationDraft.objects.none()
    return DeclarationDraft.objects.filter(supplier_id=supplier_id_of(user), created_by=user)


def due_diligence_visible_to(*, user) -> QuerySet[DueDiligenceAction]:
    """Due-diligence actions (and their evidence): staff who may view them all; a supplier contact their own
    supplier's."""
    actions = DueDiligenceAction.objects.all()
    if not user.is_authenticated:
        return actions.none()
    if user.has_perm("minerals.view_duediligenceaction"):
        return actions
    if is_supplier_contact(user):
        return actions.filter(supplier_id=supplier_id_of(user))
    return actions.none()


def batch_files_visible_to(*, user) -> QuerySet[ImportBatchFile]:
    """Files of bulk imports: staff who may view the batches only."""
    if user.is_authenticated and user.has_perm("minerals.view_importbatch"):
        return ImportBatchFile.objects.all()
    return ImportBatchFile.objects.none()


def suppliers_declarable_by(*, user) -> QuerySet[Supplier]:
    """Suppliers this user may upload declarations for."""
    suppliers = Supplier.objects.all()
    if not user.is_authenticated:
        return suppliers.none()
    if user.has_perm(UPLOAD_ANY):
        return suppliers
    if is_supplier_contact(user):
        return suppliers.filter(pk=supplier_id_of(user))
    return suppliers.none()


class DeclarationAccess(BasePermission):
    message = "You may not upload declarations."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in SAFE_METHODS:
            return True
        return user.has_perm(UPLOAD_ANY) or is_supplier_contact(user)
