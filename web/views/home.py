"""The console's home: what waits for the signed-in staff member today."""

from django.shortcuts import render

from ..access import staff_required


@staff_required()
def home(request):
    return render(request, "web/home.html")
