"""Names in the MLflow registry that the Python side and the PHP side both use.

Documented in docs/registry.md; PHP keeps its copy in php/src/Contract/SharedContract.php
and tests/php/test_contract.py checks that the two agree.
"""

from __future__ import annotations

from typing import Final

# The alias inference servers follow by default.
CHAMPION_ALIAS: Final = "champion"
# The alias the second inference server follows in an A/B split.
CHALLENGER_ALIAS: Final = "challenger"

# Registered-model tag: JSON list of version strings that have held `champion`,
# oldest first, the current champion last. Rollback pops the last entry.
CHAMPION_HISTORY_TAG: Final = "driftline.champion_history"

# Model-version tag: the promotion gate's decision, "promoted" or "rejected".
PROMOTION_DECISION_TAG: Final = "driftline.promotion"
# Model-version tag: JSON object with the figures behind that decision.
PROMOTION_FIGURES_TAG: Final = "driftline.promotion_figures"
# Model-version tag on a version adopted with `driftline profile`: JSON record of what
# driftline knows about it (driftline/version_facts.py); absent on versions trained here.
ADOPTED_TAG: Final = "driftline.adopted"

# Run artifact holding the reference profile of the training data (docs/reference-profile.md).
PROFILE_ARTIFACT_PATH: Final = "reference/profile.json"
# Name of the model artifact inside a run.
MODEL_ARTIFACT_NAME: Final = "model"

# Run tags written by retraining so a run says why it exists.
RUN_TAG_TRIGGER: Final = "driftline.trigger"  # "manual" | "alert"
RUN_TAG_JOB_ID: Final = "driftline.job_id"
RUN_TAG_ALERTS: Final = "driftline.alerts"
