"""Running one trial: what is asked (``request``), what comes back (``result``, ``status``),
how it is evaluated (``resampling``, ``evaluation``), how it is kept within its time and
memory (``limits``), and where it runs (``executor``: local processes or a dask cluster).

Nothing is imported here: a trial worker imports ``automl.trials.worker`` alone, and its
start-up is dead time at the start of every fit.
"""
