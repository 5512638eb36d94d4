from extriage.cli.main import main

main()
