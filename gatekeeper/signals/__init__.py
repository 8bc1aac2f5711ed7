# gatekeeper/signals/__init__.py: the pure content detectors behind PACT's algedonic signals.
# Secrets, browser-exposed keys, SQL injection, PII in logs, destructive SQL, file standards.
"""Pure detectors: each takes a path, the added lines and a rule's params, and returns hits.

No git, no I/O. A :class:`SignalHit` names the line, says what was seen and what to do
instead, and never carries a secret value: excerpts pass through :func:`redact`, evidence
keys are hashes. Each pattern is compiled on first use, so importing this is cheap.

Modules: ``_common`` (types, pattern cache, redaction), ``_code`` (reading added source),
``secrets``, ``sql``, ``pii`` and ``files`` (the detectors).
"""

from __future__ import annotations

from gatekeeper.signals._common import Detector as Detector
from gatekeeper.signals._common import Lines as Lines
from gatekeeper.signals._common import Params as Params
from gatekeeper.signals._common import SignalHit as SignalHit
from gatekeeper.signals._common import _rx as _rx
from gatekeeper.signals._common import redact as redact
from gatekeeper.signals.files import _ALLOWED_NAMES as _ALLOWED_NAMES
from gatekeeper.signals.files import _SENSITIVE_NAMES as _SENSITIVE_NAMES
from gatekeeper.signals.files import credential_in as credential_in
from gatekeeper.signals.files import file_header as file_header
from gatekeeper.signals.files import file_size as file_size
from gatekeeper.signals.files import is_source as is_source
from gatekeeper.signals.files import is_vendored as is_vendored
from gatekeeper.signals.files import judged_by_content as judged_by_content
from gatekeeper.signals.files import linguist_patterns as linguist_patterns
from gatekeeper.signals.files import sensitive_file as sensitive_file
from gatekeeper.signals.files import vendored_path as vendored_path
from gatekeeper.signals.pii import _PII_NAMES as _PII_NAMES
from gatekeeper.signals.pii import pii_in_logs as pii_in_logs
from gatekeeper.signals.secrets import _FRONTEND_ALLOW as _FRONTEND_ALLOW
from gatekeeper.signals.secrets import _TOKEN_NOT_SECRET as _TOKEN_NOT_SECRET
from gatekeeper.signals.secrets import frontend_credentials as frontend_credentials
from gatekeeper.signals.secrets import hardcoded_secret as hardcoded_secret
from gatekeeper.signals.sql import destructive_sql as destructive_sql
from gatekeeper.signals.sql import sql_injection as sql_injection

CONTENT_DETECTORS: dict[str, Detector] = {
    "hardcoded_secret": hardcoded_secret,
    "frontend_credentials": frontend_credentials,
    "sql_injection": sql_injection,
    "pii_in_logs": pii_in_logs,
    "destructive_sql": destructive_sql,
}
