"""Loyalty forms: shape only (types, lengths, the CSV file read into codes); the loyalty
actions decide (stock, windows, limits, duplicates, who may)."""

import csv
import io

from django import forms
from django.utils.translation import gettext_lazy as _

from services.loyalty import actions
from services.loyalty.models import Redemption, Reward

from .volunteering import DateTimeInput

MAX_CODES_FILE = 2 * 1024 * 1024  # the API's limit too


class RewardFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("Title or partner"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All")), *Reward.Kind.choices]
    )
    active = forms.ChoiceField(
        label=_("Offered"),
        required=False,
        choices=[("", _("All")), ("yes", _("Offered")), ("no", _("Withdrawn"))],
    )


class RewardForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    category = forms.ChoiceField(label=_("Category"), choices=Reward.Category.choices)
    kind = forms.ChoiceField(label=_("Kind"), choices=Reward.Kind.choices)
    partner_name = forms.CharField(label=_("Partner"), max_length=200, required=False)
    partner_address = forms.CharField(label=_("Partner's address"), max_length=255, required=False)
    image_url = forms.URLField(
        label=_("Image address"), required=False, max_length=200, assume_scheme="https"
    )
    cost_points = forms.IntegerField(label=_("Cost in points"), min_value=1, max_value=1_000_000)
    credit_cents = forms.IntegerField(
        label=_("Credit on charges (cents)"), required=False, min_value=1, max_value=10_000_000
    )
    stock = forms.IntegerField(
        label=_("Stock"),
        required=False,
        min_value=0,
        max_value=10_000_000,
        help_text=_("Empty: unlimited. A code pool's stock is its codes left."),
    )
    limit_per_tenant = forms.IntegerField(
        label=_("Limit per tenant"),
        required=False,
        min_value=1,
        max_value=1000,
        help_text=_("Empty: no limit."),
    )
    available_from = forms.DateTimeField(
        label=_("Available from"), required=False, widget=DateTimeInput()
    )
    available_until = forms.DateTimeField(
        label=_("Available until"), required=False, widget=DateTimeInput()
    )
    validity_days = forms.IntegerField(
        label=_("Voucher valid for (days)"), min_value=1, max_value=3650, initial=90
    )
    is_active = forms.BooleanField(label=_("Offered to tenants"), required=False, initial=True)

    FIELDS = (
        "title",
        "description",
        "category",
        "kind",
        "partner_name",
        "partner_address",
        "image_url",
        "cost_points",
        "credit_cents",
        "stock",
        "limit_per_tenant",
        "available_from",
        "available_until",
        "validity_days",
        "is_active",
    )

    def __init__(self, *args, reward=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.reward = reward
        if reward is not None:
            # The kind never changes; a pool's stock is its codes (the domain says so too).
            self.fields["kind"].disabled = True
            if reward.kind == Reward.Kind.POOL_CODE:
                self.fields["stock"].disabled = True

    @classmethod
    def initial_for(cls, reward: Reward) -> dict:
        return {name: getattr(reward, name) for name in cls.FIELDS}

    def reward_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.FIELDS}
        if self.reward is not None:
            data = {k: v for k, v in data.items() if not self.fields[k].disabled}
        return data


class CodesUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file of codes"),
        help_text=_("One code per line (first column), UTF-8, up to 2 MB."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_CODES_FILE:
            raise forms.ValidationError(str(actions.FileTooLarge.default_message))
        try:
            text = upload.read().decode("utf-8-sig")
            self.codes = [row[0] for row in csv.reader(io.StringIO(text)) if row]
        except (UnicodeDecodeError, csv.Error):
            raise forms.ValidationError(str(actions.InvalidFile.default_message)) from None
        return upload


class TenantSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("Name, e-mail or residence"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )


class GrantForm(forms.Form):
    points = forms.IntegerField(
        label=_("Points"),
        min_value=-100_000,
        max_value=100_000,
        help_text=_("Negative to take points back."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=255,
        help_text=_("The tenant sees it in their history."),
    )


class VoucherCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Voucher code"),
        max_length=64,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )


class RedemptionFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *Redemption.Status.choices]
    )
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=64,
        help_text=_("Code, reward or tenant's name"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
