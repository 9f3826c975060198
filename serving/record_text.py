"""The JSON text of a /predict request's single record, to store as it came; pure functions.

Encoding a record's 20 features to JSON again is most of what logging a
prediction costs the request thread. The request already holds that JSON: for
``{"record": {...}}`` the text between the braces is the record. Storing it is
only right when it means exactly the record the server validated and predicted
on, and the prediction log can carry it, which is checked here cheaply:

- the body is ``{"record": <object>}`` with nothing but spaces around the parts;
- the object's text is ASCII (the log never meets an encoding or an invalid
  UTF-8 sequence a lenient decoder let through) without backslashes, tabs,
  newlines or carriage returns (one journal line, every quote a string delimiter);
- it holds exactly one string token per key and per string value of the parsed
  record. Without backslashes every quote pair is one string, so a repeated key
  (JSON keeps the last, SQL's JSON functions the first), a second ``"record"``
  or a nested value shows up as extra quotes.

Anything else returns None, and the caller encodes the record itself.
"""

from __future__ import annotations

from typing import Final

_PREFIX: Final = b'{"record":'
_NOT_IN_TEXT: Final = b"\\\t\n\r"


def single_record_text(body: bytes, record: dict[str, object]) -> str | None:
    """The text of ``record`` inside ``body``, when it can be stored as it is; else None."""
    body = body.strip(b" ")
    if not body.startswith(_PREFIX) or body[-1:] != b"}":
        return None
    text = body[len(_PREFIX) : -1].strip(b" ")
    if text[:1] != b"{" or text[-1:] != b"}" or not text.isascii():
        return None
    if len(text.translate(None, _NOT_IN_TEXT)) != len(text):  # one pass for all four
        return None
    strings = len(record) + list(map(type, record.values())).count(str)
    if text.count(b'"') != 2 * strings:
        return None
    return text.decode("ascii")
