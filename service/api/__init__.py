"""The HTTP service: FastAPI routers per area over one shared AppState, the Gradio UI mounted at /."""

from service.api.app import create_app

__all__ = ["create_app"]
