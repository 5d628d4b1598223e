"""Suite-wide settings, applied before any test module imports the local cloud."""

import os
import tempfile

# The local cloud writes every email it sends as an .eml file; a test run's go to a temporary
# folder, not the developer's .local/outbox (local/outbox.py).
os.environ.setdefault("LOCAL_OUTBOX_DIR", tempfile.mkdtemp(prefix="commerce-outbox-"))
