"""The programme's workshops and their live polls, the authorities' quarterly reflections, and the
quarterly journal compiled from them with the programme's headline measures."""
