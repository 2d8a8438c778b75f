import sys

from litmarp.cli import main

sys.exit(main())
