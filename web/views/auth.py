"""Sign in, sign out and change password: the console's session over the domain's account
actions, so the console has the same sign-in limits as the API."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as session_login
from django.contrib.auth import logout as session_logout
from django.contrib.auth import update_session_auth_hash
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from services.accounts import actions as accounts
from services.accounts import password_reset
from services.core.client import client_address
from services.core.errors import DomainError

from ..access import SESSION_TOKEN_VERSION, staff_required, staff_role
from ..forms import add_domain_error
from ..forms.auth import (
    EmailLoginForm,
    PasswordChangeForm,
    PasswordResetConfirmForm,
    PasswordResetRequestForm,
)


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) and target.startswith("/console/"):
        return target
    return "/console/"


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request):
    if staff_role(request.user) is not None:
        return redirect(_next_url(request))
    form = EmailLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            # The API's sign-in: failures are counted and lock the account the same way.
            user, _tokens = accounts.login(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                client_key=client_address(request),
            )
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            if staff_role(user) is None:
                form.add_error(None, _("This console is for landlord staff only."))
            else:
                session_login(request, user)
                request.session[SESSION_TOKEN_VERSION] = user.token_version
                response = redirect(_next_url(request))
                response.set_cookie(
                    settings.LANGUAGE_COOKIE_NAME,
                    user.language,
                    secure=settings.SESSION_COOKIE_SECURE,
                    httponly=True,
                    samesite="Lax",
                )
                return response
    return render(request, "web/auth/login.html", {"form": form, "next": _next_url(request)})


@require_POST
def logout_view(request):
    session_logout(request)
    messages.success(request, _("You are signed out."))
    return redirect("web:login")


@sensitive_post_parameters("current_password", "new_password", "new_password_again")
@staff_required()
def password_change_view(request):
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["new_password"] != data["new_password_again"]:
            form.add_error("new_password_again", _("The two new passwords differ."))
        else:
            try:
                accounts.password_change(
                    user=request.user,
                    current_password=data["current_password"],
                    new_password=data["new_password"],
                    client_key=client_address(request),
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                # Other sessions and tokens end; this one goes on with the new version.
                update_session_auth_hash(request, request.user)
                request.session[SESSION_TOKEN_VERSION] = request.user.token_version
                messages.success(request, _("Your password has been changed."))
                return redirect("web:home")
    return render(request, "web/auth/password_change.html", {"form": form})


@csrf_protect
@never_cache
def password_reset_request_view(request):
    """Forgotten password: the same answer whether the address is an account's or not
    (the domain sends the code only to a real one)."""
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            password_reset.password_reset_request(
                email=form.cleaned_data["email"], client_key=client_address(request)
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _(
                    "If an account exists with this address, a code has been sent to it. "
                    "It works for 30 minutes."
                ),
            )
            return redirect("web:password_reset_confirm")
    return render(request, "web/auth/password_reset_request.html", {"form": form})


@sensitive_post_parameters("code", "new_password", "new_password_again")
@csrf_protect
@never_cache
def password_reset_confirm_view(request):
    form = PasswordResetConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["new_password"] != data["new_password_again"]:
            form.add_error("new_password_again", _("The two new passwords differ."))
        else:
            try:
                password_reset.password_reset_confirm(
                    email=data["email"],
                    code=data["code"],
                    new_password=data["new_password"],
                    client_key=client_address(request),
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(
                    request, _("Your password has been changed. You can sign in with it.")
                )
                return redirect("web:login")
    return render(request, "web/auth/password_reset_confirm.html", {"form": form})
