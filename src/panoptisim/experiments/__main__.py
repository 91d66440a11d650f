"""``python -m panoptisim.experiments sweep | summarize | sensitivity | query``."""

from panoptisim.experiments.cli import main

if __name__ == "__main__":
    main()
