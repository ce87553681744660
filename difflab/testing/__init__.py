"""Test helpers for user code (pytest-friendly): gradient checks that fail with a readable report.

    from difflab.testing import assert_gradient
    def test_my_loss_gradient():
        assert_gradient(loss, loss_grad, params, args=(X, y))
"""

from difflab.testing.gradcheck_report import GradcheckReport, Mismatch
from difflab.testing.gradient_check import assert_gradient, gradcheck

__all__ = ["GradcheckReport", "Mismatch", "assert_gradient", "gradcheck"]
from difflab.testing.agreement import assert_methods_agree as assert_methods_agree  # noqa: E402 -- H7: re-export
