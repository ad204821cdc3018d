"""Forms of the employer's own team, company and password pages (/espace/): shape only, the
accounts area decides (services/accounts/employers.py)."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy


def _password(label):
    return forms.CharField(label=label, strip=False, max_length=128, widget=forms.PasswordInput)


class _TwoPasswords(forms.Form):
    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password_again") != data["new_password"]:
            self.add_error("new_password_again", _("The two passwords differ."))
        return data


class InvitationAcceptForm(_TwoPasswords):
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=100)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=100)
    new_password = _password(gettext_lazy("Choose a password"))
    new_password_again = _password(gettext_lazy("The password, again"))


class ColleagueInviteForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Your colleague's e-mail address"),
        max_length=254,
        help_text=gettext_lazy(
            "They will see the candidates of each landlord once its staff approve them."
        ),
    )


class CompanyContactForm(forms.Form):
    contact_email = forms.EmailField(
        label=gettext_lazy("Contact e-mail"), max_length=254, required=False
    )
    phone = forms.CharField(label=pgettext_lazy("company", "Phone"), max_length=30, required=False)
    website = forms.URLField(
        label=gettext_lazy("Website"),
        max_length=200,
        required=False,
        assume_scheme="https",
        help_text=gettext_lazy("For example https://www.example.fr"),
    )


class MemberPasswordForm(_TwoPasswords):
    current_password = forms.CharField(
        label=gettext_lazy("Current password"),
        strip=False,
        max_length=128,
        required=False,
        widget=forms.PasswordInput,
    )
    new_password = _password(gettext_lazy("New password"))
    new_password_again = _password(gettext_lazy("New password, again"))

    def __init__(self, *args, has_password: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if has_password:
            self.fields["current_password"].required = True
        else:
            del self.fields["current_password"]


class StaffInviteForm(forms.Form):
    """The console's invitation (staff invite someone to a partner employer by e-mail)."""

    email = forms.EmailField(
        label=gettext_lazy("E-mail address of the person to invite"), max_length=254
    )
