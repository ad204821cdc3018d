"""Jobs factories: profiles with their indexed ROME and skill rows, offers, matches."""

import datetime
import importlib

import factory

from services.core import clock
from services.jobs.matching import travel_distance_km
from services.jobs.models import (
    JobProfile,
    Match,
    MatchTransition,
    Offer,
    ProfileRome,
    ProfileSkill,
    contract_mask,
    normalize_text,
    rome_domain,
)

from .accounts import EmployerFactory, TenantFactory


def ensure_rome_reference() -> None:
    """The ROME reference comes from a data migration; a transactional test elsewhere
    flushes every table, so tests that search it load it again when it is gone."""
    from services.jobs.models import RomeCode

    if not RomeCode.objects.exists():
        from django.apps import apps

        importlib.import_module("services.jobs.migrations.0002_load_rome").load(apps, None)


class JobProfileFactory(factory.django.DjangoModelFactory):
    """A consenting profile at the tenant's residence; `romes`, `skills`, `contracts` and
    `experience` ({code: years}) fill the indexed rows."""

    class Meta:
        model = JobProfile
        skip_postgeneration_save = True

    class Params:
        contracts = ("cdi",)

    tenant = factory.SubFactory(TenantFactory)
    landlord = factory.LazyAttribute(lambda o: o.tenant.landlord)
    latitude = factory.LazyAttribute(lambda o: float(o.tenant.tenancy.residence.latitude))
    longitude = factory.LazyAttribute(lambda o: float(o.tenant.tenancy.residence.longitude))
    is_qpv = factory.LazyAttribute(lambda o: o.tenant.tenancy.residence.is_qpv)
    search_status = JobProfile.SearchStatus.ACTIVE
    travel_mode = "km"
    travel_value = 15
    max_distance_km = factory.LazyAttribute(
        lambda o: travel_distance_km(o.travel_mode, o.travel_value)
    )
    contract_types = factory.LazyAttribute(lambda o: contract_mask(o.contracts))
    hours_per_week = 35
    matching_consent = True
    introduction_consent = True

    @factory.post_generation
    def romes(self, create, extracted, **kwargs):
        """`romes=("K2204",)` wished; `romes__experience={"K2204": 3}` practised."""
        if not create:
            return
        wished = ("K2204",) if extracted is None else tuple(extracted)
        experience = kwargs.get("experience") or {}
        codes = set(wished) | set(experience)
        ProfileRome.objects.bulk_create(
            [
                ProfileRome(
                    profile=self,
                    rome_code=code,
                    domain=rome_domain(code),
                    wished=code in wished,
                    experience_years=experience.get(code, 0),
                    **ProfileRome.copied_from(self),
                )
                for code in sorted(codes)
            ]
        )

    @factory.post_generation
    def skills(self, create, extracted, **kwargs):
        if create and extracted:
            self.skills = list(extracted)
            self.save(update_fields=["skills"])
            ProfileSkill.objects.bulk_create(
                [ProfileSkill(profile=self, skill=normalize_text(s)) for s in extracted]
            )


class OfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Offer
        skip_postgeneration_save = True

    employer = factory.SubFactory(EmployerFactory)
    title = "Agent d'entretien"
    rome_code = "K2204"
    description = "Entretien des parties communes."
    contract_type = "cdi"
    hours_per_week = 24
    latitude = 46.1550
    longitude = -1.1600
    city = "La Rochelle"
    start_date = datetime.date(2026, 12, 1)
    positions = 1
    required_skills = factory.LazyFunction(list)
    status = Offer.Status.PUBLISHED
    published_at = factory.LazyFunction(clock.now)
    last_activity_at = factory.LazyFunction(clock.now)

    @factory.post_generation
    def targets(self, create, extracted, **kwargs):
        if not create:
            return
        if extracted is None:
            extracted = list(self.employer.landlords.all())
        self.target_landlords.set(extracted)


class MatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Match
        skip_postgeneration_save = True

    tenant = factory.SubFactory(TenantFactory)
    offer = factory.SubFactory(OfferFactory)
    landlord = factory.LazyAttribute(lambda o: o.tenant.landlord)
    state = Match.State.INTERESTED
    state_changed_at = factory.LazyFunction(clock.now)
    score = 70
    introduced_at = factory.LazyAttribute(
        lambda o: clock.now() if o.state not in ("suggested", "not_interested") else None
    )
    proposed_at = factory.LazyAttribute(
        lambda o: (
            clock.now() if o.state not in ("suggested", "interested", "not_interested") else None
        )
    )

    @factory.post_generation
    def log(self, create, extracted, **kwargs):
        if create:
            MatchTransition.objects.create(
                match=self, actor_kind="system", from_state="", to_state=self.state, at=clock.now()
            )
