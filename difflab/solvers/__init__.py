"""Solvers from the seed notes, driven by any derivative method: gradient descent, perceptrons, networks,
Newton. Each takes a method name from ``difflab.methods.registry.names()`` and never branches on it."""

from __future__ import annotations

from difflab.methods.registry import DerivativeProvider, provider
from difflab.solvers.gd import descend, gradient_descent
from difflab.solvers.network import Network, curve_agreement, gradient, train, unflatten
from difflab.solvers.newton_method import classify, classify_hessian, newton
from difflab.solvers.perceptron import (
                                        fit_classifier,
                                        fit_regression,
                                        predict_linear,
                                        predict_proba,
                                        rosenblatt,
)

__all__ = ["DerivativeProvider", "Network", "classify", "classify_hessian", "curve_agreement", "descend",
           "fit_classifier", "fit_regression", "gradient", "gradient_descent", "newton", "predict_linear",
           "predict_proba", "provider", "rosenblatt", "train", "unflatten"]
