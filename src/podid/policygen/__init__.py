"""podid.policygen -- the tightest identity policy for what a role was seen doing.

`observed` reads the audit log (`STATE/audit.jsonl`, including `podid up --mode record`'s "would be
denied" calls) into observations; `build` turns observations into a policy document (pure).
"""

from __future__ import annotations

from podid.policygen.build import generate, notes
from podid.policygen.observed import Observation, observations, parse_since

__all__ = ["Observation", "generate", "notes", "observations", "parse_since"]
