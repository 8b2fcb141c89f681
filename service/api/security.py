"""Security headers on every response, and how an uploaded original may be shown in a browser.

An original is whatever an admin uploaded: an HTML file with a script in it must never run on the helpdesk's
origin, where it could read the API with the visitor's session. So originals are served with `nosniff` and a CSP
that forbids everything; only PDFs (rendered by the browser's own viewer) and plain text are shown inline, and
every other type is a download.
"""

from __future__ import annotations

# The Gradio UI: its page bootstraps with inline scripts and styles and talks to its own origin only.
UI_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
             "img-src 'self' data: blob:; font-src 'self' data:; media-src 'self' data: blob:; connect-src 'self'; "
             "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; "
             "frame-ancestors 'none'")
# FastAPI's /docs and /redoc pages load their viewer from jsDelivr.
DOCS_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
               "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https:; "
               "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'")
# JSON and metrics: nothing to render, nothing to load.
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# An original PDF: the browser's viewer may embed it, nothing else loads and no script runs.
PDF_POLICY = "default-src 'none'; object-src 'self'; frame-ancestors 'none'"
# Any other original: a unique opaque origin (sandbox) without scripts, even if a browser ignored the type.
SANDBOX_POLICY = "sandbox; default-src 'none'; frame-ancestors 'none'"

_COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
_DOCS_PATHS = ("/docs", "/redoc")

# How an original is served, by extension: (media type, inline?). Text kinds are shown as text, never as markup.
_SHOWN_INLINE = {
    ".pdf": "application/pdf",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    ".markdown": "text/plain; charset=utf-8",
}


def original_presentation(suffix: str) -> tuple[str, str, str]:
    """(media type, content disposition type, CSP) for an original with this extension."""
    suffix = suffix.lower()
    if suffix in _SHOWN_INLINE:
        policy = PDF_POLICY if suffix == ".pdf" else SANDBOX_POLICY
        return _SHOWN_INLINE[suffix], "inline", policy
    # HTML, DOCX and anything else: a download, typed so no browser renders it in place.
    return "application/octet-stream", "attachment", SANDBOX_POLICY


def policy_for(path: str) -> str:
    if path.startswith("/v1/") or path in ("/metrics", "/healthz", "/readyz", "/openapi.json"):
        return API_POLICY
    if path.startswith(_DOCS_PATHS):
        return DOCS_POLICY
    return UI_POLICY


class SecurityHeaders:
    """Adds the common headers and the path's CSP to every HTTP response; a route's own CSP wins."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        policy = policy_for(scope["path"]).encode()

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in _COMMON if name not in present]
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", policy))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
