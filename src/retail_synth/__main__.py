"""`python -m retail_synth ...` and `spark-submit .../retail_synth/__main__.py ...`: the `retail-synth` command line."""

import sys
from pathlib import Path

if __package__ in (None, ""):
    # spark-submit runs this file as a script: make the package importable from the tree or zip it sits in.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from retail_synth.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
