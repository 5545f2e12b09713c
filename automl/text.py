"""Free-text columns: how they are told apart from categories, and the features made of them.

A column of strings is text, not a category, when its values read like words rather than
labels: several words per value on average, or many distinct values of more than one word
(job titles, product names). As categories, most of their signal would be lost: nearly every
value is rare, so one-hot columns or target means see little of it. The pandas dtype settles
it per column: ``category`` is always categorical, ``"string"`` (``astype("string")``, missing
as ``pd.NA``; not the ``str`` dtype pandas infers) always text.

Each text column becomes dense features of its TF-IDF (word unigrams and bigrams, and
character 2-4-grams within words, robust to spelling variants and typos), reduced two ways:

- SVD: a fixed number of truncated-SVD components (latent semantic analysis), unsupervised;
- linear: the score of a linear model fitted on the whole TF-IDF (ridge for regression, logistic
  regression for classes: one column, or one per class past two). A training row's score is
  cross-fitted, from a model that never saw the row (nor its group), so a model downstream
  learns how far to trust it, as in stacking; new rows get the model fitted on every row.

Both are fitted once, before the search, and are part of the model frame
(``automl.data.to_model_frame``): no trial pays for them again. Which of them a pipeline reads
is a hyperparameter of the search (``automl.space``: ``text_features``).
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
SCORE_FOLDS = 5  # cross-fitting folds of the linear scores


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


def score_feature_names(column: str, width: int) -> list[str]:
    return [f"{column}__score{i}" for i in range(width)]


def score_width(task: str, n_classes: int) -> int:
    """Linear-score columns per text column: one for regression and binary tasks (a
    prediction, a log-odds), one per class otherwise."""
    return n_classes if task == "multiclass" else 1


class TextFeatures(BaseEstimator, TransformerMixin):
    """Replaces each of ``columns`` (strings, missing as empty) with ``components`` SVD
    features of its word and character TF-IDF and, when fitted with a target, its
    cross-fitted linear scores; other columns pass through unchanged.

    Always ``components`` SVD features per column (zeros past what a small vocabulary allows)
    and ``score_width`` scores, so the names of the columns after it are known before it is
    fitted. ``task`` (with ``n_classes``) is what the scores predict; None: no scores.
    """

    def __init__(
        self,
        columns: list[str],
        components: int = COMPONENTS,
        random_state: int = 0,
        task: str | None = None,
        n_classes: int = 0,
    ) -> None:
        self.columns = columns
        self.components = components
        self.random_state = random_state
        self.task = task
        self.n_classes = n_classes

    @property
    def svd_names(self) -> list[str]:
        return [n for c in self.columns for n in text_feature_names(c, self.components)]

    @property
    def score_names(self) -> list[str]:
        if getattr(self, "task", None) is None:  # also a model saved before scores
            return []
        width = score_width(self.task, self.n_classes)
        return [n for c in self.columns for n in score_feature_names(c, width)]

    def fit(self, X: pd.DataFrame, y: Any = None, **fit_params: Any) -> TextFeatures:
        self.fit_transform(X, y, **fit_params)
        return self

    def fit_transform(
        self,
        X: pd.DataFrame,
        y: Any = None,
        *,
        groups: np.ndarray | None = None,
        sample_weight: np.ndarray | None = None,
    ) -> pd.DataFrame:
        """Fit, and the features of ``X`` without computing its TF-IDF again (its scores
        cross-fitted: ``groups`` keeps each group's rows out of the models that score them)."""
        from sklearn.decomposition import TruncatedSVD
        from sklearn.pipeline import make_pipeline

        if self.task is not None and y is None:
            raise ValueError("TextFeatures with a task needs y to fit its linear scores.")
        self.reducers_, self.scorers_ = {}, {}
        reduced, scores = {}, {}
        y = None if y is None else np.asarray(y)
        folds = None if self.task is None else self._folds(y, groups)
        for column in self.columns:
            union, texts = _tfidf(), _texts(X[column])
            try:
                # fit, then transform (not fit_transform, which rounds differently in float32):
                # training rows get exactly the features predict computes for them
                tfidf = union.fit(texts).transform(texts)
            except ValueError:  # no word at all: every value empty or punctuation
                self.reducers_[column] = None
                continue
            if folds is not None:
                self.scorers_[column] = self._scorer().fit(tfidf, y, sample_weight=sample_weight)
                scores[column] = self._cross_fitted(tfidf, y, folds, sample_weight)
            k = max(0, min(self.components, tfidf.shape[1] - 1, tfidf.shape[0] - 1))
            if k == 0:  # nothing to reduce: every value empty, or a single row
                self.reducers_[column] = make_pipeline(union)  # the scores still need it
                continue
            svd = TruncatedSVD(n_components=k, algorithm="randomized", n_iter=4)
            svd.set_params(random_state=self.random_state)
            # likewise: a randomized SVD's U * Sigma is only close to what transform gives
            reduced[column] = svd.fit(tfidf).transform(tfidf)
            self.reducers_[column] = make_pipeline(union, svd)
        return self._replace(X, reduced, scores)

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        reduced, scores = {}, {}
        scorers = getattr(self, "scorers_", {})  # a model saved before scores has none
        for column, reducer in self.reducers_.items():
            if reducer is None:
                continue
            tfidf = reducer[0].transform(_texts(X[column]))
            if len(reducer) > 1:
                reduced[column] = reducer[1].transform(tfidf)
            if column in scorers:
                scores[column] = self._scores(scorers[column], tfidf)
        return self._replace(X, reduced, scores)

    def _replace(
        self, X: pd.DataFrame, reduced: dict[str, np.ndarray], scores: dict[str, np.ndarray]
    ) -> pd.DataFrame:
        """``X`` with each text column replaced by its ``components`` SVD features
        (zero-padded) and its scores (zero where the column held no word)."""
        parts = [X.drop(columns=self.columns)]
        task = getattr(self, "task", None)
        width = 0 if task is None else score_width(task, self.n_classes)
        for column in self.columns:
            features = np.zeros((len(X), self.components + width), dtype=np.float64)
            if column in reduced:
                features[:, : reduced[column].shape[1]] = reduced[column]
            if column in scores:
                features[:, self.components :] = scores[column]
            names = text_feature_names(column, self.components)
            names += score_feature_names(column, width)
            parts.append(pd.DataFrame(features, columns=names, index=X.index))
        return pd.concat(parts, axis=1)

    # ------------------------------------------------------------ linear scores

    def _scorer(self) -> Any:
        """Ridge regression, or a logistic regression, at scikit-learn's default strength:
        fast on a sparse TF-IDF of tens of thousands of terms (liblinear for two classes)."""
        if self.task == "regression":
            from sklearn.linear_model import Ridge

            return Ridge(alpha=1.0)
        from sklearn.linear_model import LogisticRegression

        if self.task == "binary":
            return LogisticRegression(solver="liblinear")
        return LogisticRegression(max_iter=300)

    def _scores(self, model: Any, tfidf: Any) -> np.ndarray:
        """The model's scores in this transformer's columns: a prediction, a log-odds, or one
        log-odds per class (0 for classes the model never saw)."""
        if self.task == "regression":
            return model.predict(tfidf).reshape(-1, 1)
        decision = model.decision_function(tfidf)
        if self.task == "binary":
            if len(model.classes_) < 2:
                return np.zeros((tfidf.shape[0], 1))
            return decision.reshape(-1, 1)
        out = np.zeros((tfidf.shape[0], self.n_classes))
        if len(model.classes_) == 2:  # a fold that held two classes: one log-odds
            out[:, model.classes_[1]] = decision
        elif len(model.classes_) > 2:
            out[:, model.classes_] = decision
        return out

    def _folds(self, y: np.ndarray, groups: np.ndarray | None) -> list[np.ndarray]:
        """The validation rows of each cross-fitting fold: by group when there are groups,
        stratified for classes where every class has a row in each fold."""
        from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold

        dummy = np.zeros((len(y), 1))
        n_groups = 0 if groups is None else len(np.unique(groups))
        if n_groups >= 2:
            splitter: Any = GroupKFold(n_splits=min(SCORE_FOLDS, n_groups))
        elif self.task != "regression" and np.bincount(y).min() >= SCORE_FOLDS:
            splitter = StratifiedKFold(SCORE_FOLDS, shuffle=True, random_state=self.random_state)
        else:
            splitter = KFold(min(SCORE_FOLDS, len(y)), shuffle=True, random_state=self.random_state)
        return [val for _, val in splitter.split(dummy, y, groups)]

    def _cross_fitted(
        self, tfidf: Any, y: np.ndarray, folds: list[np.ndarray], weights: np.ndarray | None
    ) -> np.ndarray:
        width = score_width(self.task, self.n_classes)
        out = np.zeros((len(y), width))
        for val in folds:
            train = np.setdiff1d(np.arange(len(y)), val)
            fold_weights = None if weights is None else weights[train]
            if len(np.unique(y[train])) < 2 and self.task != "regression":
                continue  # one class: nothing to tell apart, score 0
            model = self._scorer().fit(tfidf[train], y[train], sample_weight=fold_weights)
            out[val] = self._scores(model, tfidf[val])
        return out


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
