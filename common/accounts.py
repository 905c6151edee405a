"""Outside users' logins (supplier contacts and auditors): invitation instead of self-registration, the links
that let them choose a password, and the language they read.

- An invitation creates (or reuses) a login without a usable password and e-mails a link to the portal's
  welcome page, where the invitee chooses one. The link is signed with the site's secret key, works once
  (choosing a password changes what it was signed over) and expires after ``PORTAL_INVITATION_DAYS``.
- A password reset works the same way, with Django's own generator (``PASSWORD_RESET_TIMEOUT``).
- Who an outside user works for is not kept here: ``suppliers.accounts`` links a contact, ``audits`` an
  auditor; each calls :func:`outside_user_for` and :func:`invitation_send`.
- Language: the one stored on the user's :class:`~common.models.PortalAccount`; the first visit to the portal
  stores the browser's; e-mails to the user are written in it (:func:`language_of`, :func:`languages_of`).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

from common.exceptions import Conflict, Invalid
from common.models import PortalAccount

LANGUAGES = tuple(code for code, _ in settings.LANGUAGES)


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """Django's password-reset token, with its own salt (a reset link is not an invitation link and the
    other way round) and its own lifetime, ``PORTAL_INVITATION_DAYS``."""

    key_salt = "common.accounts.InvitationTokenGenerator"

    def check_token(self, user, token) -> bool:
        if not (user and token):
            return False
        try:
            timestamp_b36, _hash = token.split("-")
            timestamp = base36_to_int(timestamp_b36)
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        age = self._num_seconds(self._now()) - timestamp
        return 0 <= age <= settings.PORTAL_INVITATION_DAYS * 24 * 3600


invitation_tokens = InvitationTokenGenerator()
reset_tokens = PasswordResetTokenGenerator()


def normalized_email(email: str) -> str:
    return (email or "").strip().lower()


def language_of(user) -> str:
    """The language a user reads: their stored choice, else the site's default."""
    account = getattr(user, "portal", None) if user is not None and user.pk else None
    language = account.language if account is not None else ""
    return language or settings.LANGUAGE_CODE


def languages_of(emails: Iterable[str]) -> dict[str, str]:
    """Language per e-mail address (lower case), for the addresses that are users with a stored choice; one
    query. Addresses missing from the answer read the site's default."""
    emails = {normalized_email(e) for e in emails if e}
    if not emails:
        return {}
    rows = (
        PortalAccount.objects.filter(user__email__in=emails, user__is_active=True)
        .exclude(language="")
        .values_list("user__email", "language")
    )
    return {normalized_email(email): language for email, language in rows}


def language_remember(*, user, language: str, only_if_unset: bool = False) -> None:
    """Store the user's language (a code of ``settings.LANGUAGES``); with ``only_if_unset``, only when none
    is stored yet (the browser's language on a first visit)."""
    if language not in LANGUAGES or not user.is_authenticated:
        return
    account, _ = PortalAccount.objects.get_or_create(user=user)
    if account.language == language or (only_if_unset and account.language):
        return
    account.language = language
    account.save(update_fields=["language"])


def outside_user_for(*, email: str, name: str, group: str, language: str = "") -> tuple:
    """The login of an outside user with this e-mail in ``group``: created without a usable password when
    there is none; an existing outside login of the same group is reused. A staff login, or a login of the
    other outside group, is refused: an invited user works for exactly one supplier or one agency, and never
    for the company. Returns ``(user, created)``."""
    email = normalized_email(email)
    if not email:
        raise Invalid("An e-mail address is needed to invite someone to the portal.", field="email")
    User = get_user_model()
    user = User.objects.filter(email__iexact=email).order_by("pk").first()
    created = user is None
    if created:
        first, _, last = (name or "").strip().partition(" ")
        user = User(username=email[:150], email=email, first_name=first[:150], last_name=last[:150])
        user.set_unusable_password()
        user.save()
        user.groups.add(Group.objects.get(name=group))
    else:
        if user.is_staff or user.is_superuser:
            raise Conflict(f"{email} is the login of a member of staff; staff do not use the portal.")
        other = set(user.groups.values_list("name", flat=True)) - {group}
        if other:
            raise Conflict(
                f"{email} already has a portal login as {', '.join(sorted(other))}; an invited user works "
                "for exactly one supplier or one agency."
            )
        user.groups.add(Group.objects.get(name=group))
    account, _ = PortalAccount.objects.get_or_create(user=user)
    if language in LANGUAGES and not account.language:
        account.language = language
        account.save(update_fields=["language"])
    return user, created


def invitation_url(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = invitation_tokens.make_token(user)
    return settings.SITE_URL + reverse("portal:welcome", kwargs={"uidb64": uid, "token": token})


def password_reset_url(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = reset_tokens.make_token(user)
    return settings.SITE_URL + reverse(
        "portal:password_reset_confirm", kwargs={"uidb64": uid, "token": token}
    )


def mail_send(*, to: str, template: str, context: dict, language: str) -> None:
    """Send ``templates/<template>_subject.txt``, ``.txt`` and ``.html`` to one address, written in
    ``language``."""
    with translation.override(language):
        context = {**context, "site_url": settings.SITE_URL, "language": language}
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    message.send()


def invitation_send(*, user, by, organisation: str) -> None:
    """Record the invitation and e-mail its link, after the surrounding transaction commits (the link names a
    user that must exist when it is opened)."""
    if not user.is_active:
        raise Conflict(f"The login {user.email} is deactivated; reactivate it before inviting again.")
    account, _ = PortalAccount.objects.get_or_create(user=user)
    account.invited_at = timezone.now()
    account.invited_by = by if by is not None and by.pk else None
    account.save(update_fields=["invited_at", "invited_by"])
    context = {
        "user": user,
        "organisation": organisation,
        "invited_by": (by.get_full_name() or by.email or by.get_username()) if by is not None else "",
        "days": settings.PORTAL_INVITATION_DAYS,
    }

    def send() -> None:
        mail_send(
            to=user.email,
            template="emails/invitation",
            context={**context, "url": invitation_url(user)},
            language=language_of(user),
        )

    transaction.on_commit(send)


def invitation_accepted(*, user) -> None:
    """The invitee chose a password: note when, once."""
    PortalAccount.objects.filter(user=user, joined_at__isnull=True).update(joined_at=timezone.now())
