"""``python -m shopcrm``: the ``shopcrm`` command, for environments without its script on the PATH."""
from shopcrm.cli import main

main()
