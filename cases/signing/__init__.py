"""Signing of rendered acts: the built-in certificate authority, the signer, verification.

``base`` is the interface the workflow calls; ``server`` signs with keys this system keeps
(issued by ``authority``); ``verify`` checks any signed act against the configured trust
roots (``trust``). See docs/SIGNING.md.
"""
