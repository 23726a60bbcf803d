"""Decode the JSON of a GraphQL request strictly, refusing what the standard library lets by.

``json.loads`` raises ``RecursionError`` on deeply nested arrays, ``ValueError`` on integers
over 4,300 digits and ``UnicodeDecodeError`` on bytes that are not UTF-8, and it decodes lone
surrogates (``"\\ud800"``), which no UTF-8 response can echo back. Each became a plain-text 500
that also dropped the connection. Here each is a :class:`MalformedJSON` naming the fault, which
the view answers with ``400`` and a coded GraphQL error body.
"""

from __future__ import annotations

import json
import sys


class MalformedJSON(ValueError):  # noqa: N818 - a ValueError, like json.JSONDecodeError
    """The request's JSON cannot be used; the message says why."""


def decode_request_json(data: str | bytes) -> dict[str, object] | list[object]:
    """The JSON object (or batch list) of a request body, ``variables`` or ``extensions``.

    Raises
    ------
    MalformedJSON
        Not UTF-8, not JSON, nested too deeply, a number too long, a lone surrogate, or a value
        that is neither an object nor a list.
    """
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError as error:
        raise MalformedJSON(f"the request is not UTF-8 (byte {error.start})") from error
    try:
        value = json.loads(text)
    except RecursionError as error:
        raise MalformedJSON("the request's JSON is nested too deeply") from error
    except json.JSONDecodeError as error:
        raise MalformedJSON(f"the request is not JSON: {error.msg} at {error.pos}") from error
    except ValueError as error:  # an integer past sys.get_int_max_str_digits()
        digits = sys.get_int_max_str_digits()
        raise MalformedJSON(f"the request's JSON has an integer over {digits} digits") from error
    if not isinstance(value, dict | list):
        raise MalformedJSON(f"the request's JSON must be an object, not {type(value).__name__}")
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as error:
        raise MalformedJSON("the request's JSON has a lone surrogate (\\ud800-\\udfff)") from error
    return value
