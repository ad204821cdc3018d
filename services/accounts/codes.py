"""One-time codes (tenancy activation, employer invitation): shown once, stored hashed."""

import hashlib
import secrets

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed from paper


def new_code(groups: int = 4, size: int = 4) -> str:
    """4 × 4 characters of a 32-letter alphabet: 80 bits of entropy."""
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(size)) for _ in range(groups))


def normalize_code(code: str) -> str:
    cleaned = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    return "-".join(cleaned[i : i + 4] for i in range(0, len(cleaned), 4))


def hash_code(code: str) -> str:
    # High-entropy random codes need no slow hash: SHA-256 is enough and allows lookup.
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()
