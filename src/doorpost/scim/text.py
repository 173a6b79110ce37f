"""The one text folding: how Doorpost decides that two strings are "the same, ignoring case".

RFC 7643 §2.1/§2.3.1 make most strings case-insensitive without saying which caseless
matching applies; Doorpost uses Unicode's canonical caseless match (Unicode §3.13): full
case folding between canonical normalizations, composed again (NFC) so a folded value is
also a normal, storable string. "Élodie", "ÉLODIE" and "e\u0301lodie" fold alike; so do "ß"
and "SS".

Every comparison the server makes goes through `fold`: uniqueness (userName, group
displayName), filters on both databases (indexed columns and the folded document are
stored folded; literals are folded before they are bound), PATCH value filters, "the same
value" in multi-valued attributes, and console search. SQLite's `lower()` (ASCII only) and
PostgreSQL's `lower()` (locale-dependent, no full folding) are never used for matching.
"""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """NFC(casefold(NFD(text))): equal results mean "equal, ignoring case"."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", text).casefold())
