"""Demo loyalty data: earning rules, a catalogue of local rewards, a few tenants with points.

Idempotent: rules and rewards are found by natural key (landlord + code / title), points are
awarded with fixed idempotency keys and the demo redemption is made only once. Skips quietly
when the accounts demo (landlord "iaa") is not loaded.
"""

from django.conf import settings

from services.accounts.models import Landlord, Staff, Tenant
from services.loyalty import actions, partners
from services.loyalty.models import EarningRule, Partner, PartnerMember, Redemption, Reward, Rule

RULES = {
    Rule.VOLUNTEER_ATTENDANCE: (10, 300, EarningRule.Period.MONTH),
    Rule.WELCOME_BONUS: (50, None, ""),
    Rule.JOB_PROFILE_COMPLETED: (30, None, ""),
    Rule.FIRST_MATCH_INTRODUCTION: (20, None, ""),
    Rule.HIRE: (200, 200, EarningRule.Period.YEAR),
    Rule.TENANCY_ANNIVERSARY: (50, None, ""),
}

REWARDS = {
    "iaa": (
        {
            "title": "Place de cinéma au CGR Dragon",
            "description": "Une place pour la séance de votre choix, 7j/7, au CGR Dragon.",
            "partner_name": "CGR Dragon",
            "partner_address": "Quai Louis Prunier, 17000 La Rochelle",
            "category": Reward.Category.CULTURE,
            "kind": Reward.Kind.GENERATED_CODE,
            "cost_points": 120,
            "stock": 40,
            "limit_per_tenant": 4,
            "validity_days": 90,
        },
        {
            "title": "Bon de 5 € à la boulangerie Au Fournil des Minimes",
            "description": "Pain, viennoiseries ou pâtisseries, à valoir en une fois.",
            "partner_name": "Au Fournil des Minimes",
            "partner_address": "4 avenue de la Capitainerie, 17000 La Rochelle",
            "category": Reward.Category.FOOD,
            "kind": Reward.Kind.POOL_CODE,
            "cost_points": 60,
            "validity_days": 60,
        },
        {
            "title": "Avoir de 15 € sur vos charges",
            "description": "Déduit de votre prochain avis d'échéance.",
            "partner_name": "Immobilière Atlantic Aménagement",
            "category": Reward.Category.HOME,
            "kind": Reward.Kind.CHARGES_CREDIT,
            "cost_points": 300,
            "credit_cents": 1500,
            "limit_per_tenant": 2,
            "validity_days": 180,
        },
        {
            "title": "Révision de vélo à l'atelier Vélo Cité",
            "description": "Réglage des freins et des vitesses, graissage, gonflage.",
            "partner_name": "Atelier Vélo Cité",
            "partner_address": "29 rue de la Scierie, 17000 La Rochelle",
            "category": Reward.Category.MOBILITY,
            "kind": Reward.Kind.PICKUP,
            "cost_points": 150,
            "stock": 15,
            "validity_days": 60,
        },
    ),
    "glh": (
        {
            "title": "Entrée au musée des Confluences",
            "description": "Une entrée adulte, expositions permanentes et temporaires.",
            "partner_name": "Musée des Confluences",
            "partner_address": "86 quai Perrache, 69002 Lyon",
            "category": Reward.Category.CULTURE,
            "kind": Reward.Kind.GENERATED_CODE,
            "cost_points": 100,
            "stock": 30,
            "validity_days": 90,
        },
    ),
}

# The cinema validates its own vouchers at /partenaire/ (issue 13).
DEMO_PARTNER = {"name": "Cinéma CGR Dragon", "address": "Quai Louis Prunier, 17000 La Rochelle"}
DEMO_PARTNER_MEMBER = "caisse.cgr@demo.voisinage.test"

BAKERY_CODES = [f"FOURNIL-{n:04d}" for n in range(1, 31)]
TENANT_POINTS = (280, 220, 160, 90, 45)


def seed(*, out) -> None:
    iaa = Landlord.objects.filter(slug="iaa").first()
    if iaa is None:
        return
    for landlord in Landlord.objects.filter(slug__in=REWARDS).order_by("slug"):
        admin = Staff.objects.filter(landlord=landlord, role=Staff.Role.ADMIN).first()
        for code, (points, cap, period) in RULES.items():
            EarningRule.objects.get_or_create(
                landlord=landlord,
                code=code,
                defaults={"points": points, "cap_points": cap, "cap_period": period},
            )
        for fields in REWARDS[landlord.slug]:
            reward = Reward.objects.filter(landlord=landlord, title=fields["title"]).first()
            if reward is None:
                reward = Reward.objects.create(
                    landlord=landlord, **{**fields, "stock": fields.get("stock")}
                )
                if reward.kind == Reward.Kind.POOL_CODE:
                    reward.stock = 0
                    reward.save(update_fields=["stock"])
            if reward.kind == Reward.Kind.POOL_CODE and admin is not None:
                actions.voucher_codes_upload(actor=admin.user, reward=reward, codes=BAKERY_CODES)
    tenants = list(
        Tenant.objects.filter(landlord=iaa)
        .select_related("user")
        .order_by("id")[: len(TENANT_POINTS)]
    )
    for tenant, points in zip(tenants, TENANT_POINTS, strict=False):
        actions.welcome_bonus_award(tenant=tenant)
        actions.points_award(
            tenant=tenant,
            rule=Rule.VOLUNTEER_ATTENDANCE,
            source=None,
            idempotency_key="demo:volunteering",
            points=points,
        )
    if tenants:
        cinema = Reward.objects.get(landlord=iaa, title=REWARDS["iaa"][0]["title"])
        if not Redemption.objects.filter(tenant=tenants[0], reward=cinema).exists():
            actions.reward_redeem(tenant=tenants[0], reward=cinema)
    out.write(
        f"loyalty: {Reward.objects.count()} rewards, {len(tenants)} tenants with points "
        f"at {iaa.slug}\n"
    )
    _seed_partner(iaa, out=out)


def _seed_partner(landlord, *, out) -> None:
    """The cinema as a partner honouring its reward, with one member, and a fresh sign-in
    link for that member (the invitation e-mail carries the same kind of link)."""
    admin = Staff.objects.filter(landlord=landlord, role=Staff.Role.ADMIN).first()
    if admin is None:
        return
    partner = Partner.objects.filter(landlord=landlord, name=DEMO_PARTNER["name"]).first()
    if partner is None:
        partner = partners.partner_create(actor=admin.user, **DEMO_PARTNER)
    cinema = Reward.objects.filter(landlord=landlord, title=REWARDS["iaa"][0]["title"]).first()
    if cinema is not None and cinema.partner_id != partner.pk:
        partners.partner_rewards_set(
            actor=admin.user, partner=partner, rewards=[*partner.rewards.all(), cinema]
        )
    member = PartnerMember.objects.filter(user__email=DEMO_PARTNER_MEMBER).first()
    if member is None:
        member = partners.partner_member_invite(
            actor=admin.user,
            partner=partner,
            email=DEMO_PARTNER_MEMBER,
            first_name="Léa",
            last_name="Caisse",
        )
    out.write(
        f"partner pages: sign in as {member.user.email} ({partner.name}) with this link "
        f"(valid {settings.SESAME_MAX_AGE // 86400} days):\n"
        f"  {partners.sign_in_link(member.user)}\n"
    )
