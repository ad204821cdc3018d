"""The catalogue: rewards, their stock and voucher codes."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from services.accounts.models import Landlord, User
from services.core.errors import NotAllowed

from .. import policies
from ..models import (
    EarningRule,
    Redemption,
    Reward,
    Rule,
    VoucherCode,
)
from .ledger import (
    CapPeriodRequired,
    NotAPool,
    RewardInvalid,
    UnknownRule,
    _lock_earning_rule,
    _lock_reward,
)

# --- catalogue -----------------------------------------------------------------------------

REWARD_FIELDS = (
    "title",
    "description",
    "image_url",
    "partner_name",
    "partner_address",
    "category",
    "kind",
    "cost_points",
    "credit_cents",
    "stock",
    "limit_per_tenant",
    "available_from",
    "available_until",
    "validity_days",
    "is_active",
)


def _check_reward(reward: Reward) -> None:
    fields: dict[str, list[str]] = {}
    if reward.kind == Reward.Kind.CHARGES_CREDIT and not reward.credit_cents:
        fields["credit_cents"] = [str(_("A credit on charges needs an amount in cents."))]
    if reward.kind != Reward.Kind.CHARGES_CREDIT and reward.credit_cents:
        fields["credit_cents"] = [str(_("Only a credit on charges has an amount."))]
    if (
        reward.available_from
        and reward.available_until
        and reward.available_until <= reward.available_from
    ):
        fields["available_until"] = [str(_("The end must come after the start."))]
    if reward.stock is not None and reward.stock < 0:
        fields["stock"] = [str(_("Stock cannot be negative."))]
    if reward.validity_days < 1:
        fields["validity_days"] = [str(_("A voucher is valid for at least one day."))]
    if fields:
        raise RewardInvalid(fields=fields)


def _require_manager(actor: User, landlord_id: int) -> None:
    if not policies.can_manage_loyalty(actor=actor, landlord_id=landlord_id):
        raise NotAllowed(_("Only administrators and community officers manage the catalogue."))


@transaction.atomic
def reward_create(*, actor: User, landlord: Landlord, **fields) -> Reward:
    _require_manager(actor, landlord.pk)
    data = {k: v for k, v in fields.items() if k in REWARD_FIELDS}
    reward = Reward(landlord=landlord, **data)
    if reward.kind == Reward.Kind.POOL_CODE:
        reward.stock = 0  # the pool's size: grows as staff upload codes
    _check_reward(reward)
    reward.save()
    return reward


@transaction.atomic
def reward_update(*, actor: User, reward: Reward, **fields) -> Reward:
    _require_manager(actor, reward.landlord_id)
    reward = _lock_reward(pk=reward.pk)
    changed = [k for k in fields if k in REWARD_FIELDS]
    if reward.kind == Reward.Kind.POOL_CODE or fields.get("kind") == Reward.Kind.POOL_CODE:
        if "stock" in changed:
            raise RewardInvalid(
                fields={"stock": [str(_("A code pool's stock is the number of codes left."))]}
            )
        if "kind" in changed and fields["kind"] != reward.kind:
            raise RewardInvalid(fields={"kind": [str(_("The kind of a reward cannot change."))]})
    for key in changed:
        setattr(reward, key, fields[key])
    _check_reward(reward)
    reward.save(update_fields=[*changed, "updated_at"])
    return reward


@transaction.atomic
def voucher_codes_upload(*, actor: User, reward: Reward, codes: list[str]) -> dict:
    """Add partner codes to a pool reward; duplicates (in the pool or the upload) are skipped."""
    _require_manager(actor, reward.landlord_id)
    if reward.kind != Reward.Kind.POOL_CODE:
        raise NotAPool()
    reward = _lock_reward(pk=reward.pk)
    wanted: dict[str, None] = {}  # ordered and O(1) membership: a file holds 100,000 codes
    invalid_codes: list[str] = []
    submitted = 0
    for raw in codes:
        code = (raw or "").strip()
        if not code:
            continue
        submitted += 1
        if len(code) > 64 or not code.isprintable() or any(ch.isspace() for ch in code):
            invalid_codes.append(code[:70])
        else:
            wanted[code] = None
    known = set(
        VoucherCode.objects.filter(
            reward__landlord_id=reward.landlord_id, code__in=list(wanted)
        ).values_list("code", flat=True)
    ) | set(
        Redemption.objects.filter(
            landlord_id=reward.landlord_id, code__in=list(wanted)
        ).values_list("code", flat=True)
    )
    new = [code for code in wanted if code not in known]
    VoucherCode.objects.bulk_create([VoucherCode(reward=reward, code=code) for code in new])
    if new:
        Reward.objects.filter(pk=reward.pk).update(stock=F("stock") + len(new))
    return {
        "added": len(new),
        "duplicates": submitted - len(invalid_codes) - len(new),
        "invalid": invalid_codes,
        "stock": (reward.stock or 0) + len(new),
    }


@transaction.atomic
def earning_rule_save(
    *, actor: User, landlord: Landlord, code: str, rule: EarningRule | None = None, **fields
) -> EarningRule:
    """Create or update the landlord's configuration of one earning rule."""
    _require_manager(actor, landlord.pk)
    if code not in Rule.values:
        raise UnknownRule(fields={"code": [str(_("Unknown earning rule."))]})
    # Always the locked row: two saves at once (a double tap, two officers) neither collide
    # on the unique (landlord, code) nor overwrite each other's fields with a stale copy.
    rule = _lock_earning_rule(landlord=landlord, code=code)
    for key in ("points", "cap_points", "cap_period", "is_active"):
        if key in fields:
            setattr(
                rule, key, fields[key] if fields[key] is not None or key == "cap_points" else ""
            )
    if rule.cap_points is None:
        rule.cap_period = ""
    elif not rule.cap_period:
        raise CapPeriodRequired(fields={"cap_period": [str(CapPeriodRequired.default_message)]})
    rule.save()
    return rule
