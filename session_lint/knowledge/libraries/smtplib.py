"""smtplib: connecting and every SMTP command block the calling thread."""

from session_lint.knowledge.declarations import Category, Kind, Library

LIBRARY = Library(
    name="smtplib",
    category=Category.MAIL,
    summary="SMTP and SMTP_SSL (blocking)",
    calls=(
        ("smtplib.SMTP", Kind.BLOCKING),
        ("smtplib.SMTP_SSL", Kind.BLOCKING),
        ("smtplib.SMTP.*", Kind.BLOCKING),
        ("smtplib.SMTP_SSL.*", Kind.BLOCKING),
    ),
    classes=("smtplib.SMTP", "smtplib.SMTP_SSL"),
)
