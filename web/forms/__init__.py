"""Console forms, one module per section (`web/forms/<section>.py`). Forms check shape only;
the domain decides, and its errors land beside their field with `add_domain_error`."""

from django import forms

from services.core.errors import DomainError


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Show a domain error on the form: each `fields` entry beside its input when the form
    has that field, the rest (and the message itself when no field is named) at the top."""
    placed = False
    for name, messages in (error.fields or {}).items():
        for message in messages if isinstance(messages, list | tuple) else [messages]:
            form.add_error(name if name in form.fields else None, str(message))
            placed = True
    if not placed:
        form.add_error(None, str(error.message))
