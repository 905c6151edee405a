"""Logins of the register: the local superuser (created or given a fresh password, so that the login shown to
whoever runs the project always works: ``manage.py ensure_admin``, ``make run``), and supplier contacts'
portal logins (invitation, deactivation, and which contact a login is)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction

from common.accounts import invitation_send, normalized_email, outside_user_for
from common.exceptions import Conflict

from . import roles
from .models import Contact


@dataclass(frozen=True)
class AdminLogin:
    username: str
    password: str
    created: bool

    def __str__(self) -> str:
        return f"Admin login: http://127.0.0.1:8000/admin/  user: {self.username}  password: {self.password}"


def admin_login_ensure(
    *, username: str = "admin", email: str = "", password: str | None = None, login_file: Path | None = None
) -> AdminLogin:
    """Make sure the superuser ``username`` exists and logs in with ``password``, or with a fresh random one
    when none is given, so that the login shown to the person running the project always works. With
    ``login_file``, the login is also written there, readable by the file's owner only."""
    password = password or secrets.token_urlsafe(18)
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=username).first()
        created = user is None
        if created:
            User.objects.create_superuser(
                username=username, email=email or f"{username}@localhost", password=password
            )
        else:
            user.set_password(password)
            user.is_active = user.is_staff = user.is_superuser = True
            if email:
                user.email = email
            user.save()
    login = AdminLogin(username=username, password=password, created=created)
    if login_file is not None:
        login_file.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(login_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)  # an existing file keeps its mode on open
        with os.fdopen(descriptor, "w") as handle:
            handle.write(f"{login}\n")
    return login


# --- Supplier contacts' portal logins ---------------------------------------------------------------------

_UNREAD = object()


def contact_of(user) -> Contact | None:
    """The contact whose login this is, while it gives access (``Contact.objects.with_access()``) and the user
    is in the supplier-contact role; else None. Read once per user object, i.e. once per request. Every scope
    of a supplier contact (API, portal, files) starts here."""
    if user is None or not user.is_authenticated:
        return None
    contact = getattr(user, "_active_contact", _UNREAD)
    if contact is _UNREAD:
        contact = (
            Contact.objects.with_access()
            .filter(user=user, user__groups__name=roles.SUPPLIER_CONTACT)
            .select_related("supplier")
            .first()
        )
        user._active_contact = contact
    return contact


def supplier_id_of(user) -> int | None:
    """The id of the one supplier a supplier contact works for, or None."""
    contact = contact_of(user)
    return contact.supplier_id if contact is not None else None


def invitation_language(supplier) -> str:
    """The language an invitation to a contact of ``supplier`` is written in unless staff choose another:
    Simplified Chinese for a supplier in mainland China, else English (the invitee may change it later)."""
    return "zh-hans" if str(supplier.country) == "CN" else "en"


def contact_invite(*, contact: Contact, by, language: str = "") -> Contact:
    """Invite a contact to the portal: their login (created when missing, in the supplier-contact role) is
    linked to the contact and e-mailed a single-use link to choose a password."""
    with transaction.atomic():
        contact = (
            Contact.objects.select_for_update(of=("self",))
            .select_related("supplier", "user")
            .get(pk=contact.pk)
        )
        if not contact.active:
            raise Conflict(f"{contact.name} is deactivated; reactivate the contact before inviting them.")
        if contact.user is not None and normalized_email(contact.user.email) != normalized_email(
            contact.email
        ):
            raise Conflict(
                f"{contact.name} already has the login {contact.user.email}; their e-mail is now "
                f"{contact.email}. Unlink the login first."
            )
        user, _created = outside_user_for(
            email=contact.email, name=contact.name, group=roles.SUPPLIER_CONTACT, language=language
        )
        linked = Contact.objects.filter(user=user).exclude(pk=contact.pk).select_related("supplier").first()
        if linked is not None:
            raise Conflict(
                f"{contact.email} is already the login of a contact of {linked.supplier.code} "
                f"{linked.supplier.name}; a supplier contact works for exactly one supplier."
            )
        if contact.user_id != user.pk:
            contact.user = user
            contact._change_reason = "Invited to the portal"
            contact.save(update_fields=["user"])
        invitation_send(user=user, by=by, organisation=f"{contact.supplier.name}")
    return contact


def contact_set_active(*, contact: Contact, active: bool, by) -> Contact:
    """Deactivate a contact (their login stops working at once, reminders stop) or reactivate it."""
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        if contact.active != active:
            contact.active = active
            contact._change_reason = "Reactivated" if active else "Deactivated"
            contact.save(update_fields=["active"])
    return contact
