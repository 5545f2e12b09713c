"""Meta-learning on top of automl: the shipped metabase, and the warm starts chosen from it.

- ``metabase``: the versioned files (prior datasets' meta-features, candidate configurations,
  how each did where), leave-one-out, translation across space versions;
- ``recommend``: which configurations a new search should try first, and in which order;
- ``runtimes``: a trial's predicted run time on data it never ran on;
- ``build``: ``automl metabase build`` (also ``python -m metalearning.build``).

Imports run one way: this package imports automl, automl never imports it. automl finds the
metabase (warm-start source ``metabase``) and the ``metabase`` command through the entry
points declared in pyproject.toml (see ``automl.plugins``). Meta-features are computed in
``automl.metafeatures`` (a fit describes its data without this package); ``metafeatures`` here
re-exports them.
"""
