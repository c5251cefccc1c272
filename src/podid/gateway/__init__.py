"""podid.gateway: the one Starlette app.

Route by SigV4 scope -> authenticate -> parse -> handler -> serialise -> audit.

Import the pieces from their modules (``podid.errors``, ``.context``, ``.registry``,
``.state``, ``.app``); this package file stays import-light so handlers can import
:class:`~podid.errors.ServiceError` without pulling in Starlette or the protocol layer.
"""
