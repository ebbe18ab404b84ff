"""Every response's security headers, set in this one place."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, request


def content_security_policy(htmx_cdn_url: str) -> str:
    """No inline script or style anywhere: scripts from this site and the one
    pinned htmx file from the CDN (also checked by its integrity hash). A source
    expression with a path allows that file only, not everything the CDN serves."""
    scripts = ["'self'"]
    if htmx_cdn_url:
        cdn = urlsplit(htmx_cdn_url)
        if (
            cdn.scheme != "https"
            or not cdn.netloc
            or not cdn.path.strip("/")
            or cdn.query
            or cdn.fragment
            or any(c.isspace() or c in ";,'\"" for c in htmx_cdn_url)
        ):
            raise ValueError(
                f"HTMX_CDN_URL must be one https:// file, like "
                f"https://unpkg.com/htmx.org@2.0.11/dist/htmx.min.js, not {htmx_cdn_url!r}"
            )
        scripts.append(htmx_cdn_url)
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {' '.join(scripts)}",
            "style-src 'self'",
            "img-src 'self'",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def install(app: Flask) -> None:
    policy = content_security_policy(app.config.get("HTMX_CDN_URL", ""))

    @app.after_request
    def secure(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", policy)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        if request.endpoint != "static":
            # Nothing of a child's record stays in a shared tablet's cache or back button.
            headers.setdefault("Cache-Control", "no-store")
        return response
