"""One rule turns a country, as suppliers' lists and RMI's files write it, into an ISO code (the two importers
had drifted copies: each knew aliases the other did not)."""

import pytest

from common.countries import country_code


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("CN", "CN"),
        ("chn", "CN"),
        ("China", "CN"),
        ("mainland China", "CN"),
        ("PRC", "CN"),
        ("Macau", "MO"),
        ("Taiwan, Province of China", "TW"),
        ("Congo, Democratic Republic of the", "CD"),
        ("DRC", "CD"),
        ("Great Britain", "GB"),
        ("UNITED STATES", "US"),
        ("Unknown", ""),
        ("N/A", ""),
        ("Atlantis", ""),
    ],
)
def test_a_country_is_found_whoever_wrote_it(written, code):
    assert country_code(written) == code
