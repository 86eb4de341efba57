"""How runs of the code location are started on this machine (the instance's run launcher)."""
