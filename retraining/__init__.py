"""Retraining: a challenger from fresh labelled data, promoted only through the gate."""
