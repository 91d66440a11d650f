"""Calibration to published aggregate statistics: targets files, ABC-SMC (pyabc), the
posterior and its predictive check (docs/calibration.md)."""
