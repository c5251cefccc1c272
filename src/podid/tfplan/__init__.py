"""`podid plan`: what a Terraform configuration would create, and the lint of every policy in it,
without applying anything and without any provider.

The HCL is read with python-hcl2 (:mod:`podid.tfplan.hcl`), its expressions evaluated as far as they
can be before apply (:mod:`podid.tfplan.expressions`: variables' defaults, locals, the attributes a
resource's arguments decide, ``jsonencode``/``replace``/...); ``data.aws_iam_policy_document`` is
rendered as the provider renders it (:mod:`podid.tfplan.policy_document`); the resource types podid
knows are described as AWS or Kubernetes objects, with their policy-valued arguments
(:mod:`podid.tfplan.resources`); :func:`podid.tfplan.plan.plan_configuration` puts it together and
lints every policy and trust policy with :func:`podid.iam.lint.lint_policy`. No I/O: the caller
passes the files' text.
"""

from podid.tfplan.plan import Plan, PlannedObject, PlannedPolicy, plan_configuration

__all__ = ["Plan", "PlannedObject", "PlannedPolicy", "plan_configuration"]
