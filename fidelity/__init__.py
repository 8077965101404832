"""The Signs of Safety results logic (a tree of outcomes, practice fidelity and implementation
fidelity nodes), the rubrics with their level descriptors, and ``scoring.py``: pure functions that
turn rubric answers into element levels and fidelity scores."""
