"""podid.sts: STS API handlers, one module per operation (``get_caller_identity``, later
``assume_role``, ``assume_role_with_web_identity``); :mod:`podid.sts.handlers` imports them all."""
