"""``python -m panoptisim.validation``: the validate command without the main CLI."""

from panoptisim.validation.cli import main

if __name__ == "__main__":
    main()
