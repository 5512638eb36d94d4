from extriage.cli.entry import main

main()
