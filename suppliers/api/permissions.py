"""Who may use the supplier API, and which suppliers each caller sees.

- Register staff need Django's model permissions, reads included: ``view_supplier`` to read, ``add_supplier``
  to create, ``change_supplier`` to edit (granted to the Procurement and ESG manager groups).
- A supplier contact (a user linked to an active ``Contact`` and in the "Supplier contact" group:
  ``suppliers.accounts.contact_of``) reads their own supplier only and writes nothing.
- An auditor reads nothing here yet: the scope is empty.

Suppliers outside the caller's scope are simply absent from the queryset, so they answer 404, never 403.
"""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework.permissions import SAFE_METHODS, BasePermission, DjangoModelPermissions

from suppliers import roles
from suppliers.accounts import supplier_id_of
from suppliers.models import Supplier

VIEW_SUPPLIER = "suppliers.view_supplier"
SCOPED_READERS = (roles.SUPPLIER_CONTACT, roles.AUDITOR)


def is_scoped_reader(user) -> bool:
    """External roles that read a scoped slice of the register without holding the model permission."""
    return user.is_authenticated and user.groups.filter(name__in=SCOPED_READERS).exists()


def is_register_staff(user) -> bool:
    """Staff who read the whole register; they also see its internal fields (risk, spend, buyer: see
    ``serializers``). A supplier contact is not."""
    return user.is_authenticated and user.has_perm(VIEW_SUPPLIER)


def suppliers_visible_to(*, user) -> QuerySet[Supplier]:
    """Suppliers this user may see: all with ``view_supplier``; a supplier contact their own; else none."""
    suppliers = Supplier.objects.all()
    if not user.is_authenticated:
        return suppliers.none()
    if is_register_staff(user):
        return suppliers
    if roles.has_role(user, roles.SUPPLIER_CONTACT):
        return suppliers.filter(pk=supplier_id_of(user))  # none while the contact has no access
    return suppliers.none()


class SupplierPermissions(DjangoModelPermissions):
    """Model permissions with ``view`` required for reads; scoped readers may read (their scope). DELETE is
    absent: suppliers exit, they are not deleted (405 for everyone)."""

    perms_map = {
        method: perms
        for method, perms in {
            **DjangoModelPermissions.perms_map,
            "GET": ["%(app_label)s.view_%(model_name)s"],
            "HEAD": ["%(app_label)s.view_%(model_name)s"],
        }.items()
        if method != "DELETE"
    }

    def has_permission(self, request, view) -> bool:
        if super().has_permission(request, view):
            return True
        return request.method in SAFE_METHODS and is_scoped_reader(request.user)


class CanReadSuppliers(BasePermission):
    """Read access to the register (staff with ``view_supplier``, or a scoped reader). Actions that need a
    finer permission check it themselves, after the supplier has been found in the caller's scope."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            user and user.is_authenticated and (user.has_perm(VIEW_SUPPLIER) or is_scoped_reader(user))
        )


class _RequiresPermissions(BasePermission):
    required: tuple[str, ...] = ()

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perms(self.required))


class CanViewTransitions(_RequiresPermissions):
    message = "You may not view the lifecycle history of suppliers."
    required = ("suppliers.view_supplier", "suppliers.view_statustransition")


class CanViewRisk(_RequiresPermissions):
    message = "You may not view risk assessments."
    required = ("suppliers.view_supplier", "suppliers.view_riskassessment")


class CanRecomputeRisk(_RequiresPermissions):
    message = "You may not reassess suppliers."
    required = ("suppliers.view_supplier", "suppliers.change_supplier")


class CanOverrideRisk(_RequiresPermissions):
    message = "You may not override risk levels."
    required = ("suppliers.view_supplier", "suppliers.override_risk")
