"""The loyalty partners' counter, mounted at /partenaire/ (namespace `partner`): reached
from the links in e-mails, signed in by magic link (web/views/partner.py)."""

from django.urls import path

from ..views import partner

app_name = "partner"

urlpatterns = [
    path("", partner.counter, name="counter"),
    path("historique/", partner.history, name="history"),
    path("historique.csv", partner.history_csv, name="history_csv"),
    path("lien/", partner.magic_link, name="magic_link"),
    path("lien/nouveau/", partner.link_request, name="link_request"),
    path("deconnexion/", partner.sign_out, name="sign_out"),
]
