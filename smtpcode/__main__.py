from smtpcode.cli import main

main()
