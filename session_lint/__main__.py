from session_lint.cli import main

main()
