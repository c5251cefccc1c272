"""Data plane: S3, Secrets Manager, SQS, DynamoDB, KMS, CloudWatch and Logs.

``podid.dataplane.services`` (the registry of service specs) turns a parsed request into IAM
authorization items;``podid.dataplane.backend`` forwards authorized raw requests to an embedded moto with
persisted state; ``podid.dataplane.denial`` renders AWS's exact AccessDenied shapes.
"""
