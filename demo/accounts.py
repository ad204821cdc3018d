"""Demo landlords, residences, staff, tenants and partner employers, safe to load again.

Everything is derived from fixed seeds, so a second run finds every row by its natural key
(landlord slug, residence name, e-mail, tenant reference, SIRET), creates nothing, changes
nothing and prints the same logins and activation codes. The codes are public by design:
this is demo data, never to be loaded on a production database.
"""

import datetime
import random
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password

from services.accounts import codes, employers
from services.accounts.models import (
    Employer,
    EmployerInvitation,
    EmployerMember,
    Landlord,
    PartnerAccess,
    Residence,
    Staff,
    Tenancy,
    Tenant,
    User,
    luhn_complete,
)
from services.core import clock
from services.core.admin import ensure_landlord_staff_group

DEMO_PASSWORD = "Voisinage-demo-2026"
DEMO_DOMAIN = "demo.voisinage.test"
SUPERUSER_EMAIL = "admin@voisinage.test"
TENANT_COUNT = 50
PENDING_TENANCY_COUNT = 20


@dataclass(frozen=True)
class _Place:
    name: str
    address: str
    postcode: str
    city: str
    latitude: str
    longitude: str
    is_qpv: bool = False


LANDLORDS = {
    "iaa": "Immobilière Atlantic Aménagement",
    "glh": "Grand Lyon Habitat",
}

RESIDENCES = {
    "iaa": (
        _Place(
            "Villeneuve-les-Salines",
            "12 avenue Billaud-Varenne",
            "17000",
            "La Rochelle",
            "46.146300",
            "-1.126900",
            is_qpv=True,
        ),
        _Place(
            "Mireuil",
            "25 boulevard André Sautel",
            "17000",
            "La Rochelle",
            "46.174300",
            "-1.154400",
            is_qpv=True,
        ),
        _Place(
            "Port-Neuf",
            "8 rue de Port-Neuf",
            "17000",
            "La Rochelle",
            "46.163100",
            "-1.178500",
        ),
        _Place(
            "Les Minimes",
            "5 avenue Michel Crépeau",
            "17000",
            "La Rochelle",
            "46.146700",
            "-1.160800",
        ),
        _Place(
            "Petit-Marseille",
            "14 avenue du 11 Novembre 1918",
            "17300",
            "Rochefort",
            "45.944600",
            "-0.973900",
            is_qpv=True,
        ),
        _Place(
            "Rochefort Centre",
            "41 rue Pierre Loti",
            "17300",
            "Rochefort",
            "45.936700",
            "-0.961900",
        ),
    ),
    "glh": (
        _Place(
            "La Duchère",
            "220 avenue du Plateau",
            "69009",
            "Lyon",
            "45.786300",
            "4.797700",
            is_qpv=True,
        ),
        _Place(
            "Mermoz",
            "60 avenue Jean Mermoz",
            "69008",
            "Lyon",
            "45.737900",
            "4.885000",
        ),
    ),
}

# (e-mail, first name, last name, landlord slug, Staff role)
STAFF = (
    ("admin.iaa@demo.voisinage.test", "Claire", "Dubois", "iaa", Staff.Role.ADMIN),
    ("emploi.iaa@demo.voisinage.test", "Karim", "Benali", "iaa", Staff.Role.JOB_ADVISOR),
    ("proximite.iaa@demo.voisinage.test", "Sandrine", "Morel", "iaa", Staff.Role.COMMUNITY),
    ("admin.glh@demo.voisinage.test", "Julien", "Perrin", "glh", Staff.Role.ADMIN),
)

FIRST_NAMES = (
    "Camille", "Léa", "Manon", "Chloé", "Inès", "Sarah", "Emma", "Jade", "Louise", "Zoé",
    "Nadia", "Fatou", "Aïcha", "Sandrine", "Nathalie", "Sophie", "Julie", "Yasmine", "Élodie",
    "Lucas", "Hugo", "Thomas", "Nathan", "Théo", "Mehdi", "Karim", "Mamadou", "Kevin",
    "Julien", "Nicolas", "Antoine", "Maxime", "Yanis", "Bilal", "Romain", "Sébastien",
    "Franck", "Pascal", "Océane", "Mathis",
)  # fmt: skip
LAST_NAMES = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert",
    "Bonnet", "François", "Martinez", "Diallo", "Traoré", "Benali", "Haddad", "Nguyen",
    "Rousseau", "Blanc", "Guérin", "Boucher", "Chevalier", "Gauthier", "Renaud", "Billaud",
)  # fmt: skip

# (name, address, postcode, city, latitude, longitude, also partnered with glh)
EMPLOYERS = (
    ("Océan Propreté", "14 rue du Général Leclerc", "17180", "Périgny",
     "46.155100", "-1.097600", False),
    ("Le Fournil Rochelais", "3 rue du Minage", "17000", "La Rochelle",
     "46.161300", "-1.149100", False),
    ("Atlantique Logistique", "ZI de Chef de Baie, 9 rue Marius Lacroix", "17000",
     "La Rochelle", "46.163900", "-1.195200", True),
    ("Les Jardins d'Aunis", "2 route de La Rochelle", "17140", "Lagord",
     "46.188300", "-1.153700", False),
    ("Chantier Naval des Minimes", "Quai Marillac", "17000", "La Rochelle",
     "46.145500", "-1.167400", False),
    ("Aunis Aide à Domicile", "27 rue de la Scierie", "17440", "Aytré",
     "46.134700", "-1.114800", False),
    ("Rochefort Bâtiment Services", "ZI de l'Arsenal, 6 rue du Docteur Peltier", "17300",
     "Rochefort", "45.947800", "-0.955900", False),
    ("Restaurant de la Corderie", "1 rue Jean-Baptiste Audebert", "17300", "Rochefort",
     "45.940300", "-0.956700", False),
)  # fmt: skip

EMPLOYER_CONTACTS = (
    ("Valérie", "Chauvin"), ("Didier", "Poirier"), ("Stéphanie", "Barbier"),
    ("Olivier", "Marchand"), ("Céline", "Lemoine"), ("Patrick", "Joly"),
    ("Isabelle", "Brunet"), ("Laurent", "Fleury"),
)  # fmt: skip


def _ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum() or ch == "-").strip("-")


def _demo_email(first: str, last: str) -> str:
    return f"{_ascii_slug(first)}.{_ascii_slug(last)}@{DEMO_DOMAIN}"


def demo_siret(index: int) -> str:
    """A SIRET as real ones are made: a Luhn-valid SIREN, then an establishment number
    (NIC) that makes all 14 digits Luhn-valid. Deterministic per index."""
    rng = random.Random(f"voisinage-demo-siret-{index}")
    siren = luhn_complete(
        str(rng.randint(3, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(7))
    )
    return luhn_complete(siren + "000" + str(rng.randint(1, 9)))


def demo_activation_codes(count: int = PENDING_TENANCY_COUNT) -> list[str]:
    """The pending tenancies' codes: fixed by a seed, so every run prints the same ones."""
    rng = random.Random("voisinage-demo-activation-codes")
    alphabet = codes._ALPHABET
    return [
        "-".join("".join(rng.choice(alphabet) for _ in range(4)) for _ in range(4))
        for _ in range(count)
    ]


class _Passwords:
    """One hash of the demo password, made only if a user is actually created (hashing is
    slow on purpose; a second run hashes nothing)."""

    def __init__(self) -> None:
        self._hash: str | None = None

    def __call__(self) -> str:
        if self._hash is None:
            self._hash = make_password(DEMO_PASSWORD)
        return self._hash


def _user(email: str, passwords: _Passwords, **defaults) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(email=email, **defaults)
        user.password = passwords()
        user.save()
    return user


def _seed_landlords() -> dict[str, Landlord]:
    return {
        slug: Landlord.objects.get_or_create(slug=slug, defaults={"name": name})[0]
        for slug, name in LANDLORDS.items()
    }


def _seed_residences(landlords: dict[str, Landlord]) -> list[Residence]:
    residences = []
    for slug, places in RESIDENCES.items():
        for place in places:
            residence, _created = Residence.objects.get_or_create(
                landlord=landlords[slug],
                name=place.name,
                defaults={
                    "address": place.address,
                    "postcode": place.postcode,
                    "city": place.city,
                    "latitude": Decimal(place.latitude),
                    "longitude": Decimal(place.longitude),
                    "is_qpv": place.is_qpv,
                },
            )
            residences.append(residence)
    return residences


def _tenancy(
    *,
    residence: Residence,
    reference: str,
    unit: str,
    holder: str,
    rng: random.Random,
    **defaults,
) -> tuple[Tenancy, bool]:
    start = datetime.date(2015, 1, 1) + timedelta(days=rng.randint(0, 3650))
    return Tenancy.objects.get_or_create(
        landlord=residence.landlord,
        tenant_reference=reference,
        defaults={
            "residence": residence,
            "unit_reference": unit,
            "holder_names": holder,
            "start_date": start,
            **defaults,
        },
    )


def _unit(rng: random.Random) -> str:
    return f"Bât. {rng.choice('ABCDEF')} – apt {rng.randint(0, 9)}{rng.randint(1, 12):02d}"


def _names(rng: random.Random, count: int, taken: set[str]) -> list[tuple[str, str]]:
    names = []
    while len(names) < count:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = _demo_email(first, last)
        if email in taken:
            continue
        taken.add(email)
        names.append((first, last))
    return names


def seed(*, out) -> None:
    passwords = _Passwords()
    group = ensure_landlord_staff_group()
    landlords = _seed_landlords()
    residences = _seed_residences(landlords)

    # Back-office accounts: one superuser, and staff of every role (they log in to the admin
    # through the "Landlord staff" group and to the API as staff).
    logins: list[tuple[str, str]] = []
    _user(
        SUPERUSER_EMAIL,
        passwords,
        role=User.Role.STAFF,
        first_name="Admin",
        last_name="Voisinage",
        is_staff=True,
        is_superuser=True,
    )
    logins.append((SUPERUSER_EMAIL, "superuser (admin back-office, all landlords)"))
    for email, first, last, slug, role in STAFF:
        user = _user(
            email,
            passwords,
            role=User.Role.STAFF,
            first_name=first,
            last_name=last,
            is_staff=True,
        )
        user.groups.add(group)
        Staff.objects.get_or_create(user=user, defaults={"landlord": landlords[slug], "role": role})
        logins.append((email, f"staff {role} — {landlords[slug].name}"))

    # 50 tenants with an account, over every residence (glh's too, to show isolation).
    rng = random.Random("voisinage-demo-tenants")
    taken = {_demo_email(first, last) for _email, first, last, *_rest in STAFF}
    taken |= {_demo_email(first, last) for first, last in EMPLOYER_CONTACTS}
    tenant_names = _names(rng, TENANT_COUNT, taken)
    joined = datetime.datetime(2025, 9, 1, 9, 0, tzinfo=datetime.UTC)
    for index, (first, last) in enumerate(tenant_names):
        residence = residences[index % len(residences)]
        tenancy, _created = _tenancy(
            residence=residence,
            reference=f"{residence.landlord.slug.upper()}-L{index + 1:05d}",
            unit=_unit(rng),
            holder=f"{first} {last}",
            rng=rng,
            activated_at=joined,
        )
        user = _user(
            _demo_email(first, last),
            passwords,
            role=User.Role.TENANT,
            first_name=first,
            last_name=last,
        )
        Tenant.objects.get_or_create(
            user=user, defaults={"landlord": tenancy.landlord, "tenancy": tenancy}
        )
    logins.append((_demo_email(*tenant_names[0]), f"tenant — {residences[0]}"))
    logins.append(_seed_household(_demo_email(*tenant_names[0]), passwords))
    logins.append((_demo_email(*tenant_names[len(residences) - 2]), f"tenant — {residences[-2]}"))

    # 20 tenancies waiting for their household to activate them with the printed code.
    pending_rng = random.Random("voisinage-demo-pending")
    pending_names = _names(pending_rng, PENDING_TENANCY_COUNT, set(taken))
    expiry = clock.now() + timedelta(days=settings.ACTIVATION_CODE_TTL_DAYS)
    pending: list[tuple[Tenancy, str]] = []
    for index, ((first, last), code) in enumerate(
        zip(pending_names, demo_activation_codes(), strict=True)
    ):
        residence = residences[(index * 3) % len(residences)]
        tenancy, created = _tenancy(
            residence=residence,
            reference=f"{residence.landlord.slug.upper()}-P{index + 1:05d}",
            unit=_unit(pending_rng),
            holder=f"{first} {last}",
            rng=pending_rng,
        )
        if created:
            tenancy.activation_code_hash = codes.hash_code(code)
            tenancy.activation_code_expires_at = expiry
            tenancy.save(update_fields=["activation_code_hash", "activation_code_expires_at"])
        elif (
            tenancy.activated_at is None
            and tenancy.activation_code_hash == codes.hash_code(code)
            and tenancy.activation_code_expires_at <= clock.now()
        ):
            # A demo database left for months: the same code works again.
            tenancy.activation_code_expires_at = expiry
            tenancy.save(update_fields=["activation_code_expires_at", "updated_at"])
        pending.append((tenancy, code))

    # 8 partner employers around La Rochelle and Rochefort, one member each.
    for index, (name, address, postcode, city, lat, lng, with_glh) in enumerate(EMPLOYERS):
        employer, _created = Employer.objects.get_or_create(
            siret=demo_siret(index),
            defaults={
                "name": name,
                "address": address,
                "postcode": postcode,
                "city": city,
                "latitude": Decimal(lat),
                "longitude": Decimal(lng),
            },
        )
        employer.landlords.add(landlords["iaa"], *([landlords["glh"]] if with_glh else []))
        first, last = EMPLOYER_CONTACTS[index]
        email = _demo_email(first, last)
        user = _user(email, passwords, role=User.Role.EMPLOYER, first_name=first, last_name=last)
        member, _created = EmployerMember.objects.get_or_create(
            user=user, defaults={"employer": employer}
        )
        # Each partner landlord approved the company's contact (access is per landlord).
        for landlord in employer.landlords.all():
            PartnerAccess.objects.get_or_create(
                member=member, landlord=landlord, defaults={"granted_at": clock.now()}
            )
        if index < 2:
            logins.append((email, f"employer member — {name}"))
    _seed_team(_demo_email(*EMPLOYER_CONTACTS[0]))

    _print(out, logins, pending)


def _seed_household(holder_email: str, passwords: _Passwords) -> tuple[str, str]:
    """The first tenant's household: an adult child who joined with the holder's code, with
    their own account (docs/privacy.md, "Households")."""
    holder = Tenant.objects.select_related("tenancy", "landlord", "user").get(
        user__email=holder_email
    )
    email = _demo_email("Yanis", holder.user.last_name)
    user = _user(
        email, passwords, role=User.Role.TENANT, first_name="Yanis", last_name=holder.user.last_name
    )
    Tenant.objects.get_or_create(
        user=user,
        defaults={"landlord": holder.landlord, "tenancy": holder.tenancy, "is_holder": False},
    )
    return email, f"household member — {holder.user.full_name}'s tenancy"


def _seed_team(member_email: str) -> None:
    """The first employer's contact details, and a colleague its member invited, waiting
    (the invitation e-mail lands under var/mail/; a stale one is made valid again)."""
    member = EmployerMember.objects.select_related("employer", "user").get(user__email=member_email)
    employer = member.employer
    if not employer.contact_email:
        employer.contact_email = f"contact@{_ascii_slug(employer.name)}.example"
        employer.phone = "05 46 41 22 10"
        employer.save(update_fields=["contact_email", "phone", "updated_at"])
    address = f"collegue@{_ascii_slug(employer.name)}.example"
    invitation = EmployerInvitation.objects.filter(email=address).first()
    if invitation is None:
        employers.colleague_invitation_write(actor=member.user, member=member, address=address)
    elif invitation.accepted_at is None and invitation.expires_at <= clock.now():
        invitation.expires_at = clock.now() + timedelta(days=settings.EMPLOYER_INVITATION_TTL_DAYS)
        invitation.save(update_fields=["expires_at", "updated_at"])


def _print(out, logins: list[tuple[str, str]], pending: list[tuple[Tenancy, str]]) -> None:
    out.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for email, role in logins:
        out.write(f"  {email:<45} {role}")
    out.write(f"  (and every tenant: prenom.nom@{DEMO_DOMAIN}; admin back-office at /admin/)")
    out.write("  Staff: sign in to the console at /console/ with a staff login above.")
    out.write("Activation codes of tenancies not yet activated (POST /api/v1/auth/activate/):")
    for tenancy, code in pending:
        if tenancy.activated_at is not None or tenancy.activation_code_hash != codes.hash_code(
            code
        ):
            state = "already used or re-issued"
            code = "-" * 19
        else:
            state = str(tenancy.residence)
        out.write(f"  {code}  {tenancy.tenant_reference:<13} {tenancy.holder_names:<24} {state}")
