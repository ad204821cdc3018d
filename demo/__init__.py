"""Believable demo data for every area (`manage.py seed_demo`), kept out of the domain: it
calls the areas' actions like any other client, and sits beside the interfaces in the layers."""
