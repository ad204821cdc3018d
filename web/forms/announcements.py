"""Announcement form: shape only; `announcement_create` decides."""

from django import forms
from django.utils.translation import gettext_lazy as _

from services.accounts.selectors import residence_list_for_user


class AnnouncementForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(label=_("Message"), max_length=2000, widget=forms.Textarea)
    residences = forms.ModelMultipleChoiceField(
        label=_("Residences"),
        queryset=None,
        to_field_name="public_id",
        required=False,
        help_text=_("None ticked: every tenant of yours."),
        widget=forms.CheckboxSelectMultiple,
    )
    marketing = forms.BooleanField(
        label=_("Promotional (not a service notice)"),
        required=False,
        help_text=_("Only tenants who agreed to receive marketing get it."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["residences"].queryset = residence_list_for_user(user=user)
