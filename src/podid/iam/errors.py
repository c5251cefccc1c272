"""Policy errors: the one exception type `podid.iam` raises for bad policy documents.

Owns `PolicyError` (IAM error code + IAM's own message + a location string) and the exact IAM
message texts used by the parser and validator, so that wording lives in one place.
"""

from __future__ import annotations

MALFORMED = "MalformedPolicyDocument"
LIMIT_EXCEEDED = "LimitExceeded"

MSG_SYNTAX = "Syntax errors in policy."
MSG_NO_PRINCIPAL = "Policy document should not specify a principal."
MSG_LEGACY = "The policy failed legacy parsing"
MSG_MISSING = "Missing required field {field}"
MSG_PROHIBITED = "Has prohibited field {field}"
MSG_BAD_CONDITION = "Invalid Condition type : {op}."
MSG_VENDOR = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
MSG_ONE_COLON = "Actions/Condition can contain only one colon."
MSG_RESOURCE_ARN = 'Resource {resource} must be in ARN format or "*".'
MSG_DUP_SID = "Statement IDs (SID) in a single policy must be unique."
MSG_SID_CHARS = (
    "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular "
    "expression [0-9A-Za-z]*"
)
MSG_BAD_PRINCIPAL = "Invalid principal in policy: {principal}"
MSG_SIZE = "Cannot exceed quota for {quota}: {limit}"


class PolicyError(Exception):
    """A policy document IAM would reject.

    `code` is IAM's error code ("MalformedPolicyDocument", "LimitExceeded"), `message` IAM's own
    message text, `location` "<name>: Statement[1].Condition.StringLike"; `line`/`column` give the
    1-based source position in the JSON text when known.
    """

    code: str
    message: str
    location: str
    line: int | None
    column: int | None

    def __init__(
        self,
        code: str,
        message: str,
        location: str,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(f"{code}: {message} ({location})")
        self.code = code
        self.message = message
        self.location = location
        self.line = line
        self.column = column

    def __reduce__(self) -> tuple[type[PolicyError], tuple[str, str, str, int | None, int | None]]:
        return (PolicyError, (self.code, self.message, self.location, self.line, self.column))
