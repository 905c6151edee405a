"""Forms of the portal's own pages (sign-in, password, language); each area's forms sit beside its views."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils.translation import gettext_lazy as _

from common.accounts import language_of, mail_send, normalized_email, password_reset_url
from suppliers import roles

OUTSIDE_GROUPS = (roles.SUPPLIER_CONTACT, roles.AUDITOR)


class SignInForm(AuthenticationForm):
    username = forms.CharField(
        label=_("E-mail"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        "invalid_login": _("The e-mail or the password is wrong (the password is case-sensitive)."),
        "inactive": _("This login is deactivated. Ask your contact at the company to reactivate it."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["password"].label = _("Password")

    def clean(self):
        """Outside users sign in with their e-mail; a login whose user name is not its e-mail (created before
        invitations) is found by it too, when exactly one active login has that e-mail."""
        email = normalized_email(self.cleaned_data.get("username", ""))
        if "@" in email:
            usernames = list(
                get_user_model()
                .objects.filter(email__iexact=email, is_active=True)
                .values_list("username", flat=True)[:2]
            )
            if len(usernames) == 1:
                self.cleaned_data["username"] = usernames[0]
        return super().clean()


class PortalPasswordResetForm(PasswordResetForm):
    """Sends the reset link to an active outside user with this e-mail, in their language. Someone invited who
    never chose a password may use it too (the link then does what the invitation's would)."""

    email = forms.EmailField(
        label=_("E-mail"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def get_users(self, email):
        return (
            get_user_model()
            .objects.filter(
                email__iexact=normalized_email(email), is_active=True, groups__name__in=OUTSIDE_GROUPS
            )
            .distinct()
        )

    def save(self, *args, **kwargs) -> None:
        for user in self.get_users(self.cleaned_data["email"]):
            mail_send(
                to=user.email,
                template="emails/password_reset",
                context={
                    "user": user,
                    "url": password_reset_url(user),
                    "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
                },
                language=language_of(user),
            )


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    next = forms.CharField(required=False, widget=forms.HiddenInput)
