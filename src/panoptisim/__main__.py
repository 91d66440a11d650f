"""``python -m panoptisim`` is the command-line tool."""

import sys

try:
    from panoptisim.cli import main
except KeyboardInterrupt:  # Ctrl-C while the libraries load: nothing was started
    sys.stderr.write("interrupted: nothing was started\n")
    sys.exit(130)

if __name__ == "__main__":
    main()
