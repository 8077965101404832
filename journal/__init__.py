"""The programme around the QA system: workshop polls and their verbatim answers, quarterly
reflections, the quarterly journal, the staff-survey action research, knowledge resources linked
to rubric items, and feedback."""
