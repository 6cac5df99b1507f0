"""aiosmtplib: sending mail and every SMTP command is a round trip to the mail server."""

from session_lint.knowledge.declarations import Category, Kind, Library

LIBRARY = Library(
    name="aiosmtplib",
    category=Category.MAIL,
    summary="aiosmtplib.send and SMTP methods",
    calls=(("aiosmtplib.send", Kind.AWAIT), ("aiosmtplib.SMTP", Kind.CONTEXT), ("aiosmtplib.SMTP.*", Kind.AWAIT)),
    classes=("aiosmtplib.SMTP",),
)
