"""genmodels.check_number: the one range check every facade function and TrainConfig use."""
import math

import pytest

from genmodels import StudioError, check_number


@pytest.mark.parametrize("value", [float("nan"), math.inf, True, "3", None, [3], 10**400])
def test_anything_but_a_finite_number_is_one_sentence(value):
    with pytest.raises(StudioError, match=r"^Seed must be a whole number between 0 and 10\.$"):
        check_number("Seed", value, 0, 10, whole=True)


def test_whole_numbers_and_ranges():
    steps, variety = check_number("Steps", 2.0, 2, 120, whole=True), check_number("Variety", 1, 0.0, 2.0)
    assert (steps, type(steps)) == (2, int) and (variety, type(variety)) == (1.0, float)
    with pytest.raises(StudioError, match="whole number"):
        check_number("Steps", 2.5, 2, 120, whole=True)
    with pytest.raises(StudioError, match=r"^Variety must be between 0.0 and 2.0, got 2.5\.$"):
        check_number("Variety", 2.5, 0.0, 2.0)
