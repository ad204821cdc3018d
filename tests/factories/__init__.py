from .accounts import (  # noqa: F401
    EmployerFactory,
    EmployerMemberFactory,
    LandlordFactory,
    ResidenceFactory,
    StaffFactory,
    TenancyFactory,
    TenantFactory,
    UserFactory,
    valid_siret,
)
