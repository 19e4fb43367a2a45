"""Documents as HTTP answers, the same from the API and the console: a PDF (a letter, a
commitment, a print batch) opened in the browser or saved as a file."""

from __future__ import annotations

from fastapi.responses import Response


def pdf_response(content: bytes, filename: str, *, inline: bool) -> Response:
    """The PDF under ``filename`` (``notice-7.pdf``): shown in the browser when ``inline``,
    else offered as a download."""
    disposition = "inline" if inline else "attachment"
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'{disposition}; filename="{filename}"'},
    )
