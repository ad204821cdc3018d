"""The home screen is the tenant app's: other roles get 403."""

from .base import TENANTS, Case, allow

EXPECTATIONS = {
    ("GET", "/home/"): Case(expect=allow(*TENANTS)),
}
