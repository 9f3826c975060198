"""The reference profile: what the training data looked like, frozen at training time."""
