"""Tenancy forms: shape only; `tenancy_create` and `tenancy_import_csv` decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from services.accounts.selectors import residence_list_for_user

MAX_IMPORT_BYTES = 2 * 1024 * 1024  # as the API's import


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class TenancySearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("Tenant reference, unit, holders or residence"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )


class TenancyForm(forms.Form):
    residence = forms.ModelChoiceField(
        label=_("Residence"), queryset=None, to_field_name="public_id"
    )
    unit_reference = forms.CharField(label=_("Unit reference"), max_length=50)
    tenant_reference = forms.CharField(
        label=_("Tenant reference"),
        max_length=50,
        help_text=_("The reference in your rental management software."),
    )
    holder_names = forms.CharField(label=_("Holders' names"), max_length=255)
    start_date = forms.DateField(label=_("Start date"), widget=DateInput())
    end_date = forms.DateField(label=_("End date"), required=False, widget=DateInput())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["residence"].queryset = residence_list_for_user(user=user)


class TenancyImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: residence, unit_reference, tenant_reference, holder_names, start_date, "
            "end_date (optional). Dates as YYYY-MM-DD or DD/MM/YYYY. 2 MB at most."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB."))
        return upload
