"""The employer pages, mounted at /espace/ (namespace `employer`): reached from the links
in e-mails, signed in by magic link (web/views/employer.py)."""

from django.urls import path

from ..views import employer, employer_offers
from ..views import employer_team as team

app_name = "employer"

urlpatterns = [
    path("", employer.candidates, name="candidates"),
    path("candidats/<uuid:id>/", employer.candidate, name="candidate"),
    path("offres/", employer_offers.offers, name="offers"),
    path("offres/nouvelle/", employer_offers.offer_create, name="offer_create"),
    path("offres/metiers/", employer_offers.rome_search, name="rome_search"),
    path("offres/<uuid:id>/", employer_offers.offer_edit, name="offer"),
    path("offres/<uuid:id>/statut/", employer_offers.offer_status, name="offer_status"),
    path("lien/", employer.magic_link, name="magic_link"),
    path("lien/nouveau/", employer.link_request, name="link_request"),
    path("deconnexion/", employer.sign_out, name="sign_out"),
    path("e-mails/<str:token>/", employer.email_preferences, name="email_preferences"),
    path("equipe/", team.team, name="team"),
    path("entreprise/", team.company, name="company"),
    path("mot-de-passe/", team.password, name="password"),
    path("connexion/", team.sign_in, name="sign_in"),
    path("invitation/<str:token>/", team.invitation, name="invitation"),
]
