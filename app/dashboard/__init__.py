"""The KIT Flow dashboard (Dash): build it with :func:`create_app`."""

from app.dashboard.factory import create_app

__all__ = ["create_app"]
