"""Turning what the filler typed or picked, in any of the template languages, into the English value.

The templates' drop-down lists hold English values, but a filler can type a translated answer (是, はい,
Oui) and older files carry translated lists. The workbook's hidden sheet ``L`` maps each label to ten
languages (column D English); entries whose English text is a known answer or mineral become translations.
A few common answers are known here too, for templates whose sheet L lacks the answer lists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

_PUNCTUATION = re.compile(r"[\W_]+", re.UNICODE)

BUILTIN_TRANSLATIONS = {
    "Yes": ("是", "はい", "예", "Oui", "Sim", "Ja", "Si", "Sí", "Sì", "Evet"),
    "No": ("否", "いいえ", "아니오", "아니요", "Non", "Não", "Nein", "Hayır"),
    "Unknown": (
        "未知",
        "不知道",
        "不明",
        "파악되지 않음",
        "모름",
        "Inconnu",
        "Ne sais pas",
        "Desconhecido",
        "Nicht bekannt",
        "Desconocido",
        "Ignoto",
        "Bilinmiyor",
    ),
}


def key(text: str) -> str:
    """Comparison key: case, spacing and punctuation do not matter ("e.g.," == "e.g.")."""
    return _PUNCTUATION.sub("", text.casefold())


class Vocabulary:
    """Maps translated text to English terms; sheet ``L`` is read only when a value is not English."""

    def __init__(self, terms: Iterable[str], label_rows: Callable[[], Iterable[tuple]] | None = None):
        self._terms = {key(term): term for term in terms}
        self._label_rows = label_rows
        self._translations: dict[str, str] | None = None

    def _build(self) -> dict[str, str]:
        found: dict[str, str] = {}
        ambiguous: set[str] = set()

        def add(translation: str, english: str) -> None:
            k = key(translation)
            if not k or k in self._terms:
                return
            if found.get(k, english) != english:
                ambiguous.add(k)
            found[k] = english

        for english, translations in BUILTIN_TRANSLATIONS.items():
            for translation in translations:
                add(translation, english)
        for row in self._label_rows() if self._label_rows else ():
            english = self._terms.get(key(str(row[0]))) if row and row[0] is not None else None
            if english is None:
                continue
            for translation in row[1:]:
                if isinstance(translation, str):
                    add(translation, english)
        for k in ambiguous:
            found.pop(k, None)
        return found

    def english(self, text: str) -> str | None:
        """The English term ``text`` stands for, or None."""
        k = key(text)
        if k in self._terms:
            return self._terms[k]
        if self._translations is None:
            self._translations = self._build()
        return self._translations.get(k)
