"""``python -m loaders.synthetic --out loaders/sites --seed 20261122``."""

from loaders.synthetic.cli import main

raise SystemExit(main())
