"""podid.matrix -- the access matrix: what every ServiceAccount with an AWS identity may do.

`collect` reads identities, role policies and resource policies through boto3 and the Kubernetes
client (so it works against podid and against real AWS + EKS alike); `cells` decides every
catalogue action on every resource with the judge; `group` folds cells into readable rows;
`render` prints them as a Rich table, stable JSON or one self-contained HTML file; `diff`
compares two JSON reports.
"""

from __future__ import annotations

from podid.matrix.model import Cell, Identity, Inventory, Resource, RolePolicies, Row

__all__ = ["Cell", "Identity", "Inventory", "Resource", "RolePolicies", "Row"]
