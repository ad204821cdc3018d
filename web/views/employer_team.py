"""The employer's own account pages under /espace/: the team (invite a colleague), the
company's contact details, the member's password and the password sign-in, and accepting
an invitation from its e-mail link.

Each write is one action of services/accounts/employers.py, which decides. A member only
ever acts on their own company (no company id in any address); a colleague they invite
reaches no landlord's candidates until that landlord's staff approve them in the console.
The invitation page is like the magic link's: a GET shows the form and changes nothing (mail
scanners open links), the POST accepts once.
"""

from django.contrib import messages
from django.contrib.auth import login as session_login
from django.contrib.auth import update_session_auth_hash
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from services.accounts import actions as accounts
from services.accounts import employers
from services.core import clock
from services.core.client import client_address
from services.core.errors import DomainError

from ..access import SESSION_TOKEN_VERSION, next_path_within
from ..forms import add_domain_error
from ..forms.auth import EmailLoginForm
from ..forms.employer_team import (
    ColleagueInviteForm,
    CompanyContactForm,
    InvitationAcceptForm,
    MemberPasswordForm,
)
from .employer import HOME, employer_required, is_employer_member

_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _start_session(request, user) -> None:
    session_login(request, user, backend=_BACKEND)
    request.session[SESSION_TOKEN_VERSION] = user.token_version


# --------------------------------------------------------------------------- team


@never_cache
@employer_required
def team(request):
    """The company's members and the invitations sent; invite a colleague by e-mail."""
    form = ColleagueInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            employers.colleague_invite(actor=request.user, email=form.cleaned_data["email"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("Invitation sent to {email}.").format(email=form.cleaned_data["email"]),
            )
            return redirect("employer:team")
    return render(
        request,
        "web/employer/team_members.html",
        {
            "form": form,
            "members": employers.team_for_user(user=request.user),
            "invitations": employers.colleague_invitations(user=request.user)[:20],
            "company": request.user.employer_member.employer.name,
            "now": clock.now(),
            "section": "employer",
        },
    )


# --------------------------------------------------------------------------- company


@never_cache
@employer_required
def company(request):
    """The company's contact details (name, SIRET and address are the landlord's)."""
    employer = request.user.employer_member.employer
    initial = {name: getattr(employer, name) for name in employers.CONTACT_FIELDS}
    form = CompanyContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            employers.employer_contact_update(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Your company's contact details were saved."))
            return redirect("employer:company")
    return render(
        request,
        "web/employer/company_contact.html",
        {"form": form, "employer": employer, "section": "employer"},
    )


# --------------------------------------------------------------------------- password


@sensitive_post_parameters("current_password", "new_password", "new_password_again")
@never_cache
@employer_required
def password(request):
    """Set a first password (signed in by an e-mailed link) or change it (the current one is
    asked, and counted like a sign-in). Other sessions and e-mailed links end."""
    has_password = request.user.has_usable_password()
    form = MemberPasswordForm(request.POST or None, has_password=has_password)
    if request.method == "POST" and form.is_valid():
        try:
            employers.member_password_set(
                user=request.user,
                current_password=form.cleaned_data.get("current_password", ""),
                new_password=form.cleaned_data["new_password"],
                client_key=client_address(request),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            update_session_auth_hash(request, request.user)
            request.session[SESSION_TOKEN_VERSION] = request.user.token_version
            messages.success(request, _("Your password has been saved."))
            return redirect(HOME)
    return render(
        request,
        "web/employer/password_form.html",
        {"form": form, "has_password": has_password, "section": "employer"},
    )


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def sign_in(request):
    """Sign in with a password, beside the e-mailed links: the API's sign-in action, so the
    same failure counting and lockout; only a company's member gets a session here."""
    next_path = next_path_within(request, HOME)
    if is_employer_member(request.user):
        return redirect(next_path)
    form = EmailLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, _tokens = accounts.login(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                client_key=client_address(request),
            )
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            if not is_employer_member(user):
                form.add_error(None, _("These pages are for the members of partner companies."))
            else:
                _start_session(request, user)
                return redirect(next_path)
    return render(
        request,
        "web/employer/password_sign_in.html",
        {"form": form, "next": next_path, "section": "employer"},
    )


# --------------------------------------------------------------------------- invitation


@sensitive_post_parameters("new_password", "new_password_again")
@csrf_protect
@never_cache
def invitation(request, token):
    """The e-mailed invitation: a GET shows who invites and the form (nothing changes), the
    POST accepts it once and signs the new member in."""
    found = employers.invitation_read(token)
    if found is None:
        return render(
            request, "web/employer/invitation_invalid.html", {"problem": "invalid"}, status=404
        )
    problem = employers.invitation_problem(found)
    if problem is not None:
        return render(
            request,
            "web/employer/invitation_invalid.html",
            {"problem": problem.code, "message": problem.default_message},
            status=410,
        )
    recognised = employers.invitee_is_member(found)
    form = None if recognised else InvitationAcceptForm(request.POST or None)
    if request.method == "POST" and (form is None or form.is_valid()):
        data = form.cleaned_data if form is not None else {}
        try:
            user = employers.invitation_accept(
                token=token,
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
                password=data.get("new_password", ""),
            )
        except (employers.InvitationUsed, employers.InvitationExpired) as exc:
            return render(
                request,
                "web/employer/invitation_invalid.html",
                {"problem": exc.code, "message": exc.message},
                status=410,
            )
        except DomainError as exc:
            if form is None:
                messages.error(request, str(exc.message))
            else:
                add_domain_error(form, exc)
        else:
            _start_session(request, user)
            messages.success(
                request,
                _("Welcome: you are a member of {company}.").format(company=found.employer.name),
            )
            return redirect(HOME)
    return render(
        request,
        "web/employer/invitation_accept.html",
        {
            "form": form,
            "invitation": found,
            "recognised": recognised,
            "from_staff": found.landlord_id is not None,
            "section": "employer",
        },
    )
