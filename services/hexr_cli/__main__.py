from hexr_cli import main

main()
