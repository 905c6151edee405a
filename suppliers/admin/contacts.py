"""Supplier contacts' portal access in the admin: invite a contact to the portal (or send the invitation
again), deactivate and reactivate them, and see where each one stands (not invited, invited, joined,
deactivated). The pages and list actions call ``suppliers.accounts.contact_invite`` and
``contact_set_active``; a refusal (a staff login, a login already of another supplier) is shown as an error.

They need the right to change suppliers (procurement and ESG managers). The supplier's page links to them
from each contact of its contact list (``supplier.ContactInline``); the contact list and page have them too:
``ContactAdmin`` here extends the list of ``records`` with the access column, filter and actions.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from common.admin import AMBER, GREEN, GREY, REASON_TEMPLATE, RED, badge, render_page
from common.exceptions import ApplicationError

from .. import accounts
from ..models import Contact
from .records import ContactAdmin as ContactListAdmin

PERMISSION = "suppliers.change_supplier"
MAX_CONTACTS_PER_ACTION = 100  # each invitation is an e-mail: keep one request's work bounded
LANGUAGE_NAMES = dict(settings.LANGUAGES)


def may_manage_access(request: HttpRequest) -> bool:
    return request.user.has_perm(PERMISSION)


# --- Where a contact stands ----------------------------------------------------------------------------

NOT_INVITED, INVITED, JOINED, DEACTIVATED = "not-invited", "invited", "joined", "deactivated"


def access_of(contact: Contact) -> tuple[str, str]:
    """``(state, words)`` of a contact's portal access, read from the contact, its login and the login's
    portal account (select them with the contact: ``user__portal``)."""
    if not contact.active:
        return DEACTIVATED, "Deactivated"
    user = contact.user
    if user is not None and not user.is_active:
        return DEACTIVATED, "Login deactivated"
    account = getattr(user, "portal", None) if user is not None else None
    if account is not None and account.joined_at:
        return JOINED, f"Joined {timezone.localtime(account.joined_at):%Y-%m-%d}"
    if account is not None and account.invited_at:
        return INVITED, f"Invited {timezone.localtime(account.invited_at):%Y-%m-%d}, not joined yet"
    return NOT_INVITED, "Not invited"


STATE_COLOURS = {NOT_INVITED: GREY, INVITED: AMBER, JOINED: GREEN, DEACTIVATED: RED}


def access_badge(contact: Contact) -> str:
    state, words = access_of(contact)
    return badge(words, colours=STATE_COLOURS[state], css=f"portal-access portal-{state}")


def access_links(contact: Contact, *, back: str = "") -> str:
    """Links to the steps a contact's access allows now; ``back`` is where each step returns to."""
    state, _ = access_of(contact)
    query = f"?{urlencode({'next': back})}" if back else ""
    invite = reverse("admin:suppliers_contact_invite", args=[contact.pk]) + query
    access = reverse("admin:suppliers_contact_access", args=[contact.pk]) + query
    links = []
    if state == NOT_INVITED:
        links.append((invite, "invite", "Invite to the portal"))
    elif state == INVITED:
        links.append((invite, "invite", "Send the invitation again"))
    if contact.active:
        links.append((access, "deactivate", "Deactivate"))
    else:
        links.append((access, "reactivate", "Reactivate"))
    return format_html_join(
        " · ",
        '<a href="{}" class="portal-{}" id="contact-{}-{}">{}</a>',
        ((u, c, contact.pk, c, t) for u, c, t in links),
    )


# --- The steps -----------------------------------------------------------------------------------------


class InvitationForm(forms.Form):
    language = forms.ChoiceField(
        choices=settings.LANGUAGES,
        help_text="The invitation is written in this language, and the portal and the reminders first speak "
        "it; the contact can change it in the portal.",
    )


def _invite(request: HttpRequest, contact: Contact, *, language: str = "") -> bool:
    """Invite one contact and say so; False, with the refusal shown, when the service refuses."""
    try:
        accounts.contact_invite(contact=contact, by=request.user, language=language)
    except ApplicationError as error:
        messages.error(request, f"{contact.name} <{contact.email}>: {error.message}")
        return False
    return True


def _set_active(request: HttpRequest, contact: Contact, *, active: bool) -> bool:
    try:
        accounts.contact_set_active(contact=contact, active=active, by=request.user)
    except ApplicationError as error:
        messages.error(request, f"{contact.name} <{contact.email}>: {error.message}")
        return False
    return True


# --- The contact list and page -------------------------------------------------------------------------

admin.site.unregister(Contact)


@admin.register(Contact)
class ContactAdmin(ContactListAdmin):
    list_display = [*ContactListAdmin.list_display, "portal_access"]
    list_select_related = ["supplier", "user__portal"]
    list_filter = ["active", *ContactListAdmin.list_filter]
    # The login is set by inviting the contact, the access changed by the steps below (with their history).
    readonly_fields = ["user", "active", "portal_access", "portal_steps"]
    actions = ["invite_selected", "deactivate_selected", "reactivate_selected"]

    def get_fields(self, request, obj=None):
        fields = [f for f in super().get_fields(request, obj) if f not in ("portal_access", "portal_steps")]
        if obj is None:
            return [f for f in fields if f not in ("user", "active")]
        return [*fields, "portal_access", *(["portal_steps"] if may_manage_access(request) else [])]

    @admin.display(description="portal access")
    def portal_access(self, obj: Contact) -> str:
        return access_badge(obj)

    @admin.display(description="portal steps")
    def portal_steps(self, obj: Contact) -> str:
        return access_links(obj)

    # --- list actions ------------------------------------------------------------------------------

    def has_access_permission(self, request) -> bool:
        return may_manage_access(request)

    def _bounded(self, request, queryset) -> list[Contact] | None:
        contacts = list(queryset.select_related("supplier", "user__portal")[: MAX_CONTACTS_PER_ACTION + 1])
        if len(contacts) > MAX_CONTACTS_PER_ACTION:
            self.message_user(
                request, f"Select at most {MAX_CONTACTS_PER_ACTION} contacts at a time.", messages.ERROR
            )
            return None
        return contacts

    @admin.action(
        description="Invite to the portal, or send the invitation again (in each supplier's language)",
        permissions=["access"],
    )
    def invite_selected(self, request, queryset):
        contacts = self._bounded(request, queryset)
        if contacts is None:
            return
        joined = [c for c in contacts if access_of(c)[0] == JOINED]
        if joined:
            self.message_user(
                request,
                f"Not invited again, already joined (they reset their password themselves): "
                f"{', '.join(c.email for c in joined)}.",
                messages.WARNING,
            )
        sent = [
            c
            for c in contacts
            if c not in joined and _invite(request, c, language=accounts.invitation_language(c.supplier))
        ]
        if sent:
            self.message_user(
                request, f"Invitation sent to {', '.join(c.email for c in sent)}.", messages.SUCCESS
            )

    @admin.action(description="Deactivate (their portal and API access ends at once)", permissions=["access"])
    def deactivate_selected(self, request, queryset):
        self._set_selected(request, queryset, active=False)

    @admin.action(description="Reactivate", permissions=["access"])
    def reactivate_selected(self, request, queryset):
        self._set_selected(request, queryset, active=True)

    def _set_selected(self, request, queryset, *, active: bool) -> None:
        contacts = self._bounded(request, queryset)
        if contacts is None:
            return
        done = [c for c in contacts if _set_active(request, c, active=active)]
        if done:
            verb = "Reactivated" if active else "Deactivated"
            self.message_user(request, f"{verb}: {', '.join(c.email for c in done)}.", messages.SUCCESS)

    # --- pages of one contact ----------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/invite/", view(self.invite_view), name="suppliers_contact_invite"),
            path("<path:object_id>/access/", view(self.access_view), name="suppliers_contact_access"),
            *super().get_urls(),
        ]

    def _contact_and_back(self, request: HttpRequest, object_id: str) -> tuple[Contact, str]:
        if not may_manage_access(request):
            raise PermissionDenied
        object_id = unquote(object_id)
        contact = (
            Contact.objects.select_related("supplier", "user__portal").filter(pk=object_id).first()
            if object_id.isdigit()
            else None
        )
        if contact is None:
            raise Http404("No such contact.")
        back = request.POST.get("next") or request.GET.get("next") or ""
        if not url_has_allowed_host_and_scheme(back, {request.get_host()}, require_https=request.is_secure()):
            back = ""
        return contact, back or reverse("admin:suppliers_contact_change", args=[contact.pk])

    def invite_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        contact, back = self._contact_and_back(request, object_id)
        state, words = access_of(contact)
        stored = getattr(getattr(contact.user, "portal", None), "language", "") if contact.user else ""
        form = InvitationForm(
            request.POST if request.method == "POST" else None,
            initial={"language": stored or accounts.invitation_language(contact.supplier)},
        )
        if stored:  # the login's own choice: the invitation is written in it
            form.fields["language"].disabled = True
            form.fields[
                "language"
            ].help_text = "The language this contact chose (they change it in the portal)."
        if request.method == "POST" and form.is_valid():
            language = stored or form.cleaned_data["language"]
            if _invite(request, contact, language=language):
                written_in = LANGUAGE_NAMES.get(language, language)
                messages.success(
                    request,
                    f"Invitation sent to {contact.name} <{contact.email}> in {written_in}; the link works "
                    f"once and expires in {settings.PORTAL_INVITATION_DAYS} days.",
                )
            return HttpResponseRedirect(back)
        again = state == INVITED
        return render_page(
            self,
            request,
            "admin/suppliers/contact/invite.html",
            {
                "title": ("Send the invitation again: " if again else "Invite to the portal: ")
                + contact.name,
                "original": contact,
                "contact": contact,
                "state": words,
                "form": form,
                "again": again,
                "back": back,
                "days": settings.PORTAL_INVITATION_DAYS,
            },
        )

    def access_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        contact, back = self._contact_and_back(request, object_id)
        active = not contact.active  # the step this page takes
        if request.method == "POST":
            if _set_active(request, contact, active=active):
                messages.success(
                    request,
                    f"{contact.name} <{contact.email}> is reactivated."
                    if active
                    else f"{contact.name} <{contact.email}> is deactivated: their portal and API access has "
                    "ended and they receive no more reminders.",
                )
            return HttpResponseRedirect(back)
        verb = "Reactivate" if active else "Deactivate"
        who = f"{contact.name} <{contact.email}> of {contact.supplier}"
        return render_page(
            self,
            request,
            REASON_TEMPLATE,
            {
                "title": f"{verb} {contact.name}",
                "here": verb,
                "original": contact,
                "intro": (
                    f"{who} will receive reminders again; if they have a login, it works again."
                    if active
                    else f"{who}: their portal and API login stops working at once and they receive no more "
                    "reminders."
                ),
                "submit": verb,
                "cancel_url": back,
            },
        )
