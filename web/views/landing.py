"""The public front page at `/`: what Voisinage is and where each kind of user goes."""

from django.shortcuts import render


def landing(request):
    return render(request, "web/landing.html")
