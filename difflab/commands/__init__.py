"""One module per ``difflab`` subcommand: ``add_arguments(parser)`` and ``run(args) -> int``."""
