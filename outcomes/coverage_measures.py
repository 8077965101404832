"""Signs of Safety practice coverage measures, from the practice record of open cases (registered in outcomes.registry)."""
