"""Every derivative the seed notes state (the tour's list) gets the verdict the chain rule gives by hand.

The expected verdicts in ``SEED_CLAIMS`` were derived by hand from the seed documents (e.g. seed 002's
update ``w21 -> w21 - alpha*x2*w2*a1*(1-a1)*(y-yh)`` uses w2 where w21's chain runs through a1 and w1,
and flips the sign of its own dL/dw11); this test fails if difflab ever disagrees with one of them.
"""

from __future__ import annotations

import pytest

from difflab.check import check
from difflab.tour_sections.derivations import SEED_CLAIMS


@pytest.mark.parametrize("seed, what, f, wrt, claim, let, right", SEED_CLAIMS,
                         ids=[f"{c[0]}-{c[1]}" for c in SEED_CLAIMS])
def test_seed_claim_verdict(seed, what, f, wrt, claim, let, right):
    r = check(f, wrt, claim, let)
    assert r.holds is right, r.detail
    if right:
        assert r.proof == "symbolic" and r.counterexample is None
    else:
        assert r.proof is None and r.counterexample is not None


def test_the_list_covers_eleven_wrong_claims():
    assert sum(not c[-1] for c in SEED_CLAIMS) == 11
