from fastapi_fixer.cli import main

main()
