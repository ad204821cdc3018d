"""Request body parsers: whatever a client sends, a body that cannot be parsed is a 400
`parse_error` with one log line, never a 500 with a traceback."""

import codecs
import logging

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json  # strict_constant refuses NaN and Infinity

logger = logging.getLogger(__name__)

# Our deepest legitimate body is an object holding a list of objects; 32 leaves room and keeps
# every recursive walk after parsing (serializers, the idempotency fingerprint) far from
# Python's recursion limit.
MAX_JSON_DEPTH = 32


def _deeper_than(value, limit: int) -> bool:
    """Walked without recursion, so the check itself cannot overflow the stack."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _refuse(request_path: str, reason: str):
    logger.warning("Unparseable request body on %s: %s", request_path, reason)
    return ParseError(_("The request body is not valid JSON."))


class JSONParser(parsers.JSONParser):
    """DRF's parser catches `ValueError` only: a body nested ~1000 deep raised
    `RecursionError` (a 500 and a traceback per request). Nesting is capped below that."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        request = parser_context.get("request")
        path = getattr(request, "path", "?")
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            decoded = codecs.getreader(encoding)(stream)
            parse_constant = json.strict_constant if self.strict else None
            data = json.load(decoded, parse_constant=parse_constant)
        except RecursionError:
            raise _refuse(path, "nested too deep") from None
        except ValueError as exc:  # UnicodeDecodeError included
            raise _refuse(path, f"{type(exc).__name__}: {exc}"[:200]) from None
        if isinstance(data, (dict, list)) and _deeper_than(data, MAX_JSON_DEPTH):
            raise _refuse(path, f"nested deeper than {MAX_JSON_DEPTH}")
        return data
