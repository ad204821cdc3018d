import datetime
import random
from decimal import Decimal

import factory

from services.accounts.models import (
    Employer,
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

PASSWORD = "Correct-Horse-42"


def valid_siret(seed: int | None = None) -> str:
    """A random 14-digit SIRET whose Luhn checksum is right."""
    rng = random.Random(seed)
    return luhn_complete("".join(str(rng.randint(0, 9)) for _ in range(13)))


class LandlordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Landlord

    name = factory.Sequence(lambda n: f"Bailleur {n}")
    slug = factory.Sequence(lambda n: f"bailleur-{n}")


class ResidenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Residence

    landlord = factory.SubFactory(LandlordFactory)
    name = factory.Sequence(lambda n: f"Résidence {n}")
    address = "12 rue des Mouettes"
    postcode = "17000"
    city = "La Rochelle"
    latitude = Decimal("46.160300")
    longitude = Decimal("-1.151100")
    is_qpv = False


class TenancyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenancy

    residence = factory.SubFactory(ResidenceFactory)
    landlord = factory.SelfAttribute("residence.landlord")
    unit_reference = factory.Sequence(lambda n: f"LOT-{n:04d}")
    tenant_reference = factory.Sequence(lambda n: f"LOC-{n:06d}")
    holder_names = "Camille Martin"
    start_date = datetime.date(2022, 1, 1)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Martin{n}")
    role = User.Role.TENANT
    language = "fr"
    password = factory.django.Password(PASSWORD)


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant

    class Params:
        residence = None

    user = factory.SubFactory(UserFactory, role=User.Role.TENANT)
    tenancy = factory.LazyAttribute(
        lambda o: (
            TenancyFactory(residence=o.residence) if o.residence is not None else TenancyFactory()
        )
    )
    landlord = factory.SelfAttribute("tenancy.landlord")


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Staff

    user = factory.SubFactory(UserFactory, role=User.Role.STAFF, first_name="Sacha")
    landlord = factory.SubFactory(LandlordFactory)
    role = Staff.Role.ADMIN


class EmployerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employer
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Entreprise {n}")
    siret = factory.Sequence(lambda n: valid_siret(n))
    address = "3 avenue du Port"
    postcode = "17000"
    city = "La Rochelle"
    latitude = Decimal("46.155000")
    longitude = Decimal("-1.160000")

    @factory.post_generation
    def landlords(self, create, extracted, **kwargs):
        if create and extracted:
            self.landlords.set(extracted)


class EmployerMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmployerMember
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, role=User.Role.EMPLOYER, first_name="Dominique")
    employer = factory.SubFactory(EmployerFactory)

    @factory.post_generation
    def grants(self, create, extracted, **kwargs):
        """The landlords that granted this member their partnership: by default every
        partner of the company at creation (as if each had invited or approved it)."""
        if not create:
            return
        landlords = self.employer.landlords.all() if extracted is None else extracted
        PartnerAccess.objects.bulk_create(
            [
                PartnerAccess(member=self, landlord=landlord, granted_at=clock.now())
                for landlord in landlords
            ]
        )
