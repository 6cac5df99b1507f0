from session_lint.cli import run

run()
