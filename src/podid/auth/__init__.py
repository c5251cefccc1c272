"""podid.auth: SigV4 verification, long-term keys, stateless temporary credentials.

* :mod:`podid.auth.sigv4` - extract and verify SigV4 (header, presigned, chunked payloads).
* :mod:`podid.auth.tokens` - :class:`TokenCodec`, :class:`SessionContext` (AES-GCM session tokens).
* :mod:`podid.auth.keys` - the long-term key look-up protocol and the store adapter.
* :mod:`podid.auth.authenticate` - :class:`Authenticator`: request -> Caller.
* :mod:`podid.auth.errors` - :class:`AuthError` and its per-service wire codes.
"""
