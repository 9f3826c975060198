"""The WSGI entry point gunicorn serves (``serving.wsgi:app``).

The runtime is not started here but in each worker's ``post_worker_init``
(serving/gunicorn.conf.py), so ``gunicorn --check-config`` touches no store.
"""

from __future__ import annotations

from serving.app import create_app

app = create_app(start=False)
