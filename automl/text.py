"""Free-text columns: how they are told apart from categories, and the features made of them.

A column of strings is text, not a category, when its values read like words rather than
labels: several words per value on average, or many distinct values of more than one word
(job titles, product names). As categories, most of their signal would be lost: nearly every
value is rare, so one-hot columns or target means see little of it. The pandas dtype settles
it per column: ``category`` is always categorical, ``"string"`` (``astype("string")``, missing
as ``pd.NA``; not the ``str`` dtype pandas infers) always text.

Each text column becomes a fixed number of dense features: TF-IDF of word unigrams and bigrams
and of character 2-4-grams within words (robust to spelling variants and typos), reduced by a
truncated SVD (latent semantic analysis). Dense and few, they suit every model family. They
are unsupervised, so they are fitted once on all training rows, before the search, and are
part of the model frame (``automl.data.to_model_frame``): no trial pays for them again.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

MIN_WORDS = 3.0  # mean words per value from which a string column reads as prose
MIN_DISTINCT_PROSE = 20  # ... with at least this many distinct values
MIN_DISTINCT_NAMES = 100  # many distinct values of more than one word: names, titles
MIN_DISTINCT_SHARE = 0.05  # ... that also make up this share of the non-missing rows
MIN_WORDS_NAMES = 1.5
MAX_TERMS = 20_000  # vocabulary cap of each TF-IDF (words, characters)
COMPONENTS = 32  # SVD features per text column


WORD_SAMPLE = 10_000  # distinct values whose words are counted


def looks_like_text(values: pd.Series) -> bool:
    """Whether string ``values`` (missing as NaN) read as free text rather than category
    labels. Words are counted per distinct value (a sample of them), not per row."""
    present = values.dropna()
    if present.empty:
        return False
    distinct = pd.Series(present.unique()).astype(str)
    if len(distinct) > WORD_SAMPLE:
        distinct = distinct.sample(WORD_SAMPLE, random_state=0)
    words = distinct.str.split().str.len().mean()
    n_distinct = present.nunique()
    if words >= MIN_WORDS and n_distinct >= MIN_DISTINCT_PROSE:
        return True
    return bool(
        n_distinct >= MIN_DISTINCT_NAMES
        and n_distinct >= MIN_DISTINCT_SHARE * len(present)
        and words >= MIN_WORDS_NAMES
    )


def text_feature_names(column: str, components: int = COMPONENTS) -> list[str]:
    return [f"{column}__text{i}" for i in range(components)]


class TextFeatures(BaseEstimator, TransformerMixin):
    """Replaces each of ``columns`` (strings, missing as empty) with ``components`` SVD
    features of its word and character TF-IDF; other columns pass through unchanged.

    Always ``components`` features per column (zeros past what a small vocabulary allows), so
    the names of the columns after it are known before it is fitted.
    """

    def __init__(
        self, columns: list[str], components: int = COMPONENTS, random_state: int = 0
    ) -> None:
        self.columns = columns
        self.components = components
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y: Any = None) -> TextFeatures:
        self.fit_transform(X)
        return self

    def fit_transform(self, X: pd.DataFrame, y: Any = None, **fit_params: Any) -> pd.DataFrame:
        """Fit, and the features of ``X`` without computing its TF-IDF again."""
        from sklearn.decomposition import TruncatedSVD
        from sklearn.pipeline import make_pipeline

        self.reducers_ = {}
        reduced = {}
        for column in self.columns:
            union, texts = _tfidf(), _texts(X[column])
            try:
                # fit, then transform (not fit_transform, which rounds differently in float32):
                # training rows get exactly the features predict computes for them
                tfidf = union.fit(texts).transform(texts)
            except ValueError:  # no word at all: every value empty or punctuation
                self.reducers_[column] = None
                continue
            k = max(0, min(self.components, tfidf.shape[1] - 1, tfidf.shape[0] - 1))
            if k == 0:  # nothing to reduce: every value empty, or a single row
                self.reducers_[column] = None
                continue
            svd = TruncatedSVD(n_components=k, algorithm="randomized", n_iter=4)
            svd.set_params(random_state=self.random_state)
            # likewise: a randomized SVD's U * Sigma is only close to what transform gives
            reduced[column] = svd.fit(tfidf).transform(tfidf)
            self.reducers_[column] = make_pipeline(union, svd)
        return self._replace(X, reduced)

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        reduced = {
            column: reducer.transform(_texts(X[column]))
            for column, reducer in self.reducers_.items()
            if reducer is not None
        }
        return self._replace(X, reduced)

    def _replace(self, X: pd.DataFrame, reduced: dict[str, np.ndarray]) -> pd.DataFrame:
        """``X`` with each text column replaced by its ``components`` features (zero-padded)."""
        parts = [X.drop(columns=self.columns)]
        for column in self.columns:
            features = np.zeros((len(X), self.components), dtype=np.float64)
            if column in reduced:
                features[:, : reduced[column].shape[1]] = reduced[column]
            names = text_feature_names(column, self.components)
            parts.append(pd.DataFrame(features, columns=names, index=X.index))
        return pd.concat(parts, axis=1)


def _tfidf() -> Any:
    """Word 1-2-grams and character 2-4-grams within words, side by side."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_union

    return make_union(
        TfidfVectorizer(
            ngram_range=(1, 2),
            token_pattern=r"(?u)\b\w+\b",  # one-letter words too
            max_features=MAX_TERMS,
            sublinear_tf=True,
            dtype=np.float32,
        ),
        TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(2, 4),
            max_features=MAX_TERMS,
            sublinear_tf=True,
            dtype=np.float32,
        ),
    )


def _texts(column: pd.Series) -> list[str]:
    return ["" if pd.isna(value) else str(value) for value in column]
