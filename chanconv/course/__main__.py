"""``python -m chanconv.course DIR``: copy the student notebooks and pictures into DIR."""

import sys

from .distribute import main

sys.exit(main())
