from tests.api.authz.base import TENANTS, Case, allow


def _export(world):
    from services.privacy.models import ExportRequest

    return {"id": ExportRequest.objects.create(user=world.tenant_a.user).public_id}


EXPECTATIONS = {
    # Erasing one's account: tenants only (staff and employer accounts are closed by their
    # organisation); the body without a password is a 400, past authorisation.
    ("DELETE", "/me/"): Case(expect=allow(*TENANTS)),
    ("GET", "/me/export/"): Case(expect=allow(*TENANTS)),
    ("POST", "/me/export/"): Case(expect=allow(*TENANTS)),
    # An export is its owner's alone: any other tenant, of any landlord, finds nothing.
    ("GET", "/me/exports/{id}/"): Case(
        make=_export, expect=allow("tenant_a", hidden=("tenant_a2", "tenant_b"))
    ),
    ("GET", "/me/exports/{id}/download/"): Case(
        make=_export, expect=allow("tenant_a", hidden=("tenant_a2", "tenant_b"))
    ),
}
