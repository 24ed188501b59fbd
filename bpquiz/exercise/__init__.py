"""The exercise: the network as a value, its steps, variants, the key (pure: no I/O)."""
