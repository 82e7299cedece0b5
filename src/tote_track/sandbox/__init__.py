"""A faithful local server of the Tote Online Ordering API, for the demo, QA and tests.

``create_app`` (in :mod:`tote_track.sandbox.app`) builds the FastAPI application; the order
book and every rule live in :class:`tote_track.sandbox.engine.Engine`, on top of an
:class:`tote_track.sandbox.store.OrderStore` (in memory or SQLite). This package is imported
lazily: nothing outside it loads its server stack.
"""
