"""Country names and codes as suppliers' lists and RMI's files write them, to ISO 3166 codes: the one rule for
the supplier import, the smelter registry and declared smelters."""

from __future__ import annotations

import functools
import re

from django_countries import countries

# Names django-countries spells differently, as plain lower-case words.
ALIASES = {
    "bolivia": "BO",
    "congo democratic republic of the": "CD",
    "czech republic": "CZ",
    "democratic republic of the congo": "CD",
    "drc": "CD",
    "great britain": "GB",
    "korea": "KR",
    "korea republic of": "KR",
    "laos": "LA",
    "macau": "MO",
    "mainland china": "CN",
    "prc": "CN",
    "republic of korea": "KR",
    "russia": "RU",
    "south korea": "KR",
    "taiwan": "TW",
    "taiwan province of china": "TW",
    "tanzania united republic of": "TZ",
    "turkiye": "TR",
    "uk": "GB",
    "united kingdom": "GB",
    "united states": "US",
    "usa": "US",
    "vietnam": "VN",
}
UNKNOWN = {"", "unknown", "n a", "na", "none"}


def _plain_words(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.casefold()).split())


@functools.lru_cache(maxsize=2048)  # files repeat a few countries, and by_name scans every country name
def country_code(text: str) -> str:
    """ISO 3166 alpha-2 code of a country name or code (alpha-2 or alpha-3); '' when unknown."""
    text = (text or "").strip()
    if _plain_words(text) in UNKNOWN:
        return ""
    if len(text) in (2, 3) and text.isalpha():
        code = countries.alpha2(text.upper())
        if code:
            return code
    return countries.by_name(text) or countries.by_name(text.title()) or ALIASES.get(_plain_words(text), "")
