"""Price-direction models: one interface (:mod:`.direction`), several families, and the
walk-forward training, calibration and metrics they share."""
