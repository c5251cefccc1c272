"""podid.iamapi: the IAM API (query protocol) as handlers over `podid.store`, judged by `podid.iam`.

Importing `podid.iamapi.handlers` registers every operation with the gateway's registry.
"""
