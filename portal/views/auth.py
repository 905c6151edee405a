"""Signing in and out, the invitation's welcome page, password reset and change, and the language choice."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import path, reverse, reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from common.accounts import invitation_accepted, invitation_tokens, language_remember
from common.models import PortalAccount

from ..access import home_url, portal_user, portal_user_required
from ..forms import LanguageForm, PortalPasswordResetForm, SignInForm


def home(request):
    who = portal_user(request.user)
    if who is not None:
        return redirect(home_url(who))
    if request.user.is_authenticated:
        if request.user.is_staff:
            return redirect("admin:index")
        return render(request, "portal/auth/no_access.html", status=403)
    return redirect("portal:login")


class SignInView(auth_views.LoginView):
    template_name = "portal/auth/sign_in.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return reverse("portal:home")


class SignOutView(auth_views.LogoutView):
    next_page = reverse_lazy("portal:login")


class _PasswordLinkView(auth_views.PasswordResetConfirmView):
    """A page opened from a link e-mailed to one user (invitation, password reset): the user chooses a
    password and is signed in. It speaks the language the mail was written in, the user's, unless the visitor
    chose one on this browser (the language cookie)."""

    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    done_message = ""

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        if user is not None and settings.LANGUAGE_COOKIE_NAME not in self.request.COOKIES:
            stored = PortalAccount.objects.filter(user=user).values_list("language", flat=True).first()
            if stored:
                translation.activate(stored)
                self.request.LANGUAGE_CODE = stored
        return user

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        response.headers["Content-Language"] = self.request.LANGUAGE_CODE
        return response

    def form_valid(self, form):
        response = super().form_valid(form)
        invitation_accepted(user=form.user)
        messages.success(self.request, _(self.done_message))
        return response

    def get_success_url(self):
        return reverse("portal:home")


class WelcomeView(_PasswordLinkView):
    """The invitation's link, which works once and expires (``common.accounts.InvitationTokenGenerator``)."""

    template_name = "portal/auth/welcome.html"
    token_generator = invitation_tokens
    done_message = gettext_noop("Welcome. Your password is set and you are signed in.")


class ResetView(auth_views.PasswordResetView):
    template_name = "portal/auth/password_reset.html"
    form_class = PortalPasswordResetForm
    success_url = reverse_lazy("portal:password_reset_sent")


class ResetSentView(auth_views.PasswordResetDoneView):
    template_name = "portal/auth/password_reset_sent.html"


class ResetConfirmView(_PasswordLinkView):
    template_name = "portal/auth/password_reset_confirm.html"
    done_message = gettext_noop("Your new password is set and you are signed in.")


@portal_user_required
def account(request):
    form = LanguageForm(initial={"language": request.LANGUAGE_CODE})
    return render(request, "portal/auth/account.html", {"language_form": form, "nav": "account"})


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "portal/auth/password_change.html"
    success_url = reverse_lazy("portal:account")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is changed."))
        return response


@require_POST
def language(request):
    """Store the chosen language: on the user's account when signed in, in a cookie otherwise."""
    form = LanguageForm(request.POST)
    target = request.POST.get("next") or reverse("portal:home")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = reverse("portal:home")
    response = redirect(target)
    if form.is_valid():
        code = form.cleaned_data["language"]
        if request.user.is_authenticated:
            language_remember(user=request.user, language=code)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=365 * 24 * 3600,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response


urlpatterns = [
    path("", home, name="home"),
    path("sign-in/", SignInView.as_view(), name="login"),
    path("sign-out/", SignOutView.as_view(), name="logout"),
    path("welcome/<uidb64>/<token>/", WelcomeView.as_view(), name="welcome"),
    path("password/reset/", ResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", ResetSentView.as_view(), name="password_reset_sent"),
    path("password/reset/<uidb64>/<token>/", ResetConfirmView.as_view(), name="password_reset_confirm"),
    path("account/", account, name="account"),
    path("account/password/", portal_user_required(PasswordChangeView.as_view()), name="password_change"),
    path("language/", language, name="language"),
]
