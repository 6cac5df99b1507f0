"""``python -m session_lint.rules``: print the README's rule reference, generated from the rules."""

from session_lint.rules import readme_section

print(readme_section())
