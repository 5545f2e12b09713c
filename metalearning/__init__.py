"""Meta-learning: dataset meta-features, the shipped metabase and warm starts.

Empty until the meta-learning issue lands; kept as a package now so the layout is fixed
and the rest of the library can import from it without a reshuffle later.
"""
