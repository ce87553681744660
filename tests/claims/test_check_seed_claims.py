"""Every derivative the seed notes state (the tour's list) gets the verdict the chain rule gives by hand.

The expected verdicts in ``SEED_CLAIMS`` were derived by hand from the seed documents (e.g. seed 002's
update ``w21 -> w21 - alpha*x2*w2*a1*(1-a1)*(y-yh)`` uses w2 where w21's chain runs through a1 and w1,
and flips the sign of its own dL/dw11); this test fails if difflab ever disagrees with one of them.
"""

from __future__ import annotations

import pytest

from difflab.claims.verdict import check
from difflab.cli.tour.derivations import SEED_CLAIMS


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


def test_tour_section_runs_and_writes_its_table(tmp_path):
    from difflab.cli.tour import derivations

    said: list[str] = []
    derivations.run(tmp_path, said.append)
    text = "\n".join(said)
    assert ("42 claims: 31 right, 11 wrong; difflab agrees with the hand analysis of the chain rule on "
            "42 of 42") in text
    assert "W1[1, 0]" in text and "np.allclose(s*(1 + s), s*(1 - s)) (rtol 1e-5, atol 1e-8): True" in text
    assert "seed002_logloss_wrong_middle_step.toml" in (tmp_path / "derivations.md").read_text()
