"""Labels that alert rules put on alerts and that the PHP webhook receiver reads.

Documented in docs/webhook.md; the rule tests and the PHP tests both check them.
"""

from __future__ import annotations

from typing import Final

# Alerts carrying RETRAIN_LABEL=RETRAIN_VALUE are routed to the PHP receiver and start retraining.
RETRAIN_LABEL: Final = "retrain"
RETRAIN_VALUE: Final = "true"
# Every model-level alert carries the registered model name in this label ...
MODEL_LABEL: Final = "model"
# ... and, where it applies, the model version and the feature.
VERSION_LABEL: Final = "version"
FEATURE_LABEL: Final = "feature"
SEVERITY_LABEL: Final = "severity"
SEVERITIES: Final = ("critical", "warning", "info")

# Alertmanager's webhook payload version that the receiver accepts.
WEBHOOK_PAYLOAD_VERSION: Final = "4"
# Path of the receiver's webhook endpoint.
WEBHOOK_PATH: Final = "/alerts"
# Environment variable naming the file that holds the webhook bearer token
# (the same file Alertmanager's http_config.authorization.credentials_file reads).
WEBHOOK_TOKEN_FILE_ENV: Final = "DRIFTLINE_WEBHOOK_TOKEN_FILE"
