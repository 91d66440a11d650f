"""``python -m panoptisim`` is the command-line tool."""

from panoptisim.cli import main

if __name__ == "__main__":
    main()
