"""Shares in %, as every report, the dashboard and the minerals figures show them."""

from common.numbers import percent


def test_shares_are_rounded_half_up_to_one_decimal_and_nothing_counts_as_zero():
    assert [percent(1, 3), percent(2, 3), percent(1, 8), percent(0, 0)] == [33.3, 66.7, 12.5, 0.0]
