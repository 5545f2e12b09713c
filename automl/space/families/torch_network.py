"""A neural network in PyTorch: fully connected layers with batch normalization and dropout,
trained with Adam on mini-batches, stopped on a validation split of its own training rows (the
trial's early stopping) -- the tabular network AutoGluon and other systems rely on, which
scikit-learn's perceptron (no batch normalization, no dropout) is not. An optional extra
(``pip install automl[torch]``): searched when ``torch`` is installed, left out otherwise.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from ConfigSpace import Float, Integer
from ConfigSpace.hyperparameters import Hyperparameter
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from automl.space.families.common import class_weight_space, own_watched_fit
from automl.space.family import BuildContext, EarlyStopping, ModelFamily

PREDICT_CHUNK = 8192  # rows per forward pass at prediction time


def _network_space(task: str) -> list[Hyperparameter]:
    return [
        Integer("hidden_units", (32, 512), default=128, log=True),
        Integer("n_layers", (1, 4), default=2),
        Float("dropout", (0.0, 0.5), default=0.1),
        Float("learning_rate", (1e-4, 3e-2), default=1e-3, log=True),
        Float("weight_decay", (1e-7, 1e-2), default=1e-5, log=True),
        Integer("batch_size", (16, 512), default=128, log=True),
        # the most it trains: early stopping keeps fewer where its validation rows say so
        Integer("max_epochs", (5, 300), default=100, log=True),
        *class_weight_space(task),
    ]


def _build_network(p: dict[str, Any], ctx: BuildContext) -> Any:
    params = {
        "hidden_units": p["hidden_units"],
        "n_layers": p["n_layers"],
        "dropout": p["dropout"],
        "learning_rate": p["learning_rate"],
        "weight_decay": p["weight_decay"],
        "batch_size": p["batch_size"],
        "max_epochs": p["max_epochs"],
        "n_threads": ctx.n_threads,
        "random_state": ctx.random_state,
    }
    if ctx.is_classification:
        return TorchNetworkClassifier(class_weight=p.get("class_weight"), **params)
    return TorchNetworkRegressor(**params)


class _TorchNetwork(BaseEstimator):
    """The shared training loop. Input is the encoded path's numeric matrix (imputed, one-hot,
    scaled); a regressor standardizes its target itself."""

    library = "torch"

    def __init__(
        self,
        hidden_units: int = 128,
        n_layers: int = 2,
        dropout: float = 0.1,
        learning_rate: float = 1e-3,
        weight_decay: float = 1e-5,
        batch_size: int = 128,
        max_epochs: int = 100,
        n_threads: int = 1,
        random_state: int = 0,
    ) -> None:
        self.hidden_units = hidden_units
        self.n_layers = n_layers
        self.dropout = dropout
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.n_threads = n_threads
        self.random_state = random_state

    # --- what the classifier and the regressor do differently -----------------------------
    def _targets(self, y: Any, fitting: bool) -> np.ndarray:
        raise NotImplementedError

    def _loss(self, torch: Any) -> Any:
        raise NotImplementedError

    def _row_weights(self, targets: np.ndarray, sample_weight: np.ndarray | None) -> np.ndarray:
        weights = np.ones(len(targets)) if sample_weight is None else np.asarray(sample_weight)
        return weights.astype(np.float32)

    # --- fitting --------------------------------------------------------------------------
    def fit(self, X: Any, y: Any, sample_weight: np.ndarray | None = None) -> _TorchNetwork:
        self._train(X, y, sample_weight, None, self.max_epochs)
        return self

    def fit_watched(
        self,
        X: Any,
        y: Any,
        X_val: Any,
        y_val: Any,
        weight: np.ndarray | None,
        weight_val: np.ndarray | None,
        patience: int,
    ) -> int:
        """Fit while watching a validation set; stop after ``patience`` epochs without
        improvement and keep the best epoch's weights. Returns the epochs kept."""
        return self._train(X, y, weight, (X_val, y_val, weight_val), patience)

    def _train(
        self,
        X: Any,
        y: Any,
        sample_weight: np.ndarray | None,
        watched: tuple[Any, Any, np.ndarray | None] | None,
        patience: int,
    ) -> int:
        import torch

        features = _matrix(X)
        self.n_features_in_ = features.shape[1]
        targets = self._targets(y, fitting=True)
        weights = self._row_weights(targets, sample_weight)
        # the caller's global random state and thread count are left as they were
        with _threads(torch, self.n_threads), torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(self.random_state))
            self.network_ = self._network(torch, features.shape[1])
            kept = self._epochs(torch, features, targets, weights, watched, patience)
        self.network_.eval()
        self.epochs_ = kept
        return kept

    def _network(self, torch: Any, n_inputs: int) -> Any:
        nn = torch.nn
        layers: list[Any] = []
        width = n_inputs
        for _ in range(int(self.n_layers)):
            layers += [
                nn.Linear(width, int(self.hidden_units)),
                nn.BatchNorm1d(int(self.hidden_units)),
                nn.ReLU(),
                nn.Dropout(float(self.dropout)),
            ]
            width = int(self.hidden_units)
        layers.append(nn.Linear(width, self._n_outputs))
        return nn.Sequential(*layers)

    def _epochs(
        self,
        torch: Any,
        features: np.ndarray,
        targets: np.ndarray,
        weights: np.ndarray,
        watched: tuple[Any, Any, np.ndarray | None] | None,
        patience: int,
    ) -> int:
        network = self.network_
        optimizer = torch.optim.AdamW(
            network.parameters(), lr=float(self.learning_rate), weight_decay=self.weight_decay
        )
        loss_of = self._loss(torch)
        X_t = torch.from_numpy(features)
        y_t = torch.from_numpy(targets)
        w_t = torch.from_numpy(weights)
        n = len(features)
        batch = int(max(2, min(int(self.batch_size), n)))
        generator = torch.Generator().manual_seed(int(self.random_state))
        if watched is not None:
            X_val = torch.from_numpy(_matrix(watched[0]))
            y_val = torch.from_numpy(self._targets(watched[1], fitting=False))
            w_val = torch.from_numpy(self._row_weights(y_val.numpy(), watched[2]))
        best_loss, best_epoch, best_state = np.inf, 0, None
        self.validation_curve_: list[float] = []  # the watched rows' loss after each epoch
        for epoch in range(1, int(self.max_epochs) + 1):
            network.train()
            order = torch.randperm(n, generator=generator)
            for start in range(0, n, batch):
                rows = order[start : start + batch]
                if len(rows) < 2:  # batch normalization cannot train on one row
                    continue
                optimizer.zero_grad()
                per_row = loss_of(network(X_t[rows]), y_t[rows])
                loss = (per_row * w_t[rows]).sum() / w_t[rows].sum()
                loss.backward()
                optimizer.step()
            if watched is None:
                continue
            network.eval()
            with torch.no_grad():
                per_row = loss_of(network(X_val), y_val)
                val_loss = float((per_row * w_val).sum() / w_val.sum())
            self.validation_curve_.append(val_loss)
            if not np.isfinite(val_loss):
                break
            if val_loss < best_loss:
                best_loss, best_epoch = val_loss, epoch
                best_state = copy.deepcopy(network.state_dict())
            elif epoch - best_epoch >= patience:
                break
        if watched is None or best_state is None:
            return int(self.max_epochs)
        network.load_state_dict(best_state)
        return best_epoch

    # --- prediction -----------------------------------------------------------------------
    def _outputs(self, X: Any) -> np.ndarray:
        import torch

        features = _matrix(X)
        if features.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {features.shape[1]} features, but this network was fitted on "
                f"{self.n_features_in_}."
            )
        with _threads(torch, self.n_threads), torch.no_grad():
            chunks = [
                self.network_(torch.from_numpy(features[i : i + PREDICT_CHUNK])).numpy()
                for i in range(0, len(features), PREDICT_CHUNK)
            ]
        return np.concatenate(chunks) if chunks else np.zeros((0, self._n_outputs), np.float32)


class TorchNetworkClassifier(ClassifierMixin, _TorchNetwork):
    # every parameter named: BaseEstimator reads the signature for get_params
    def __init__(
        self,
        hidden_units: int = 128,
        n_layers: int = 2,
        dropout: float = 0.1,
        learning_rate: float = 1e-3,
        weight_decay: float = 1e-5,
        batch_size: int = 128,
        max_epochs: int = 100,
        n_threads: int = 1,
        random_state: int = 0,
        class_weight: str | None = None,
    ) -> None:
        super().__init__(
            hidden_units=hidden_units,
            n_layers=n_layers,
            dropout=dropout,
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            batch_size=batch_size,
            max_epochs=max_epochs,
            n_threads=n_threads,
            random_state=random_state,
        )
        self.class_weight = class_weight

    def _targets(self, y: Any, fitting: bool) -> np.ndarray:
        y = np.asarray(y).reshape(-1)
        if fitting:
            self.classes_ = np.unique(y)
        codes = np.searchsorted(self.classes_, y)
        return codes.astype(np.int64)

    @property
    def _n_outputs(self) -> int:
        return len(self.classes_)

    def _loss(self, torch: Any) -> Any:
        return torch.nn.CrossEntropyLoss(reduction="none")

    def _row_weights(self, targets: np.ndarray, sample_weight: np.ndarray | None) -> np.ndarray:
        weights = super()._row_weights(targets, sample_weight)
        if self.class_weight == "balanced":
            counts = np.bincount(targets, minlength=len(self.classes_)).astype(float)
            per_class = len(targets) / (len(self.classes_) * np.maximum(counts, 1.0))
            weights = weights * per_class[targets].astype(np.float32)
        return weights

    def predict_proba(self, X: Any) -> np.ndarray:
        logits = self._outputs(X).astype(np.float64)
        logits -= logits.max(axis=1, keepdims=True)
        probabilities = np.exp(logits)
        return probabilities / probabilities.sum(axis=1, keepdims=True)

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[np.argmax(self._outputs(X), axis=1)]


class TorchNetworkRegressor(RegressorMixin, _TorchNetwork):
    _n_outputs = 1

    def _targets(self, y: Any, fitting: bool) -> np.ndarray:
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        if fitting:
            self.target_mean_ = float(y.mean())
            spread = float(y.std())
            self.target_scale_ = spread if spread > 0 else 1.0
        return ((y - self.target_mean_) / self.target_scale_).astype(np.float32)

    def _loss(self, torch: Any) -> Any:
        mse = torch.nn.MSELoss(reduction="none")
        return lambda output, target: mse(output[:, 0], target)

    def predict(self, X: Any) -> np.ndarray:
        scaled = self._outputs(X)[:, 0].astype(np.float64)
        return scaled * self.target_scale_ + self.target_mean_


@contextmanager
def _threads(torch: Any, n_threads: int) -> Iterator[None]:
    """torch's (process-wide) thread count set to ``n_threads``, then restored."""
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, int(n_threads)))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _matrix(X: Any) -> np.ndarray:
    """``X`` as a dense float32 matrix (the encoded path's output; sparse only if forced)."""
    if hasattr(X, "toarray"):
        X = X.toarray()
    return np.ascontiguousarray(np.asarray(X, dtype=np.float32))


TORCH_NETWORK = ModelFamily(
    "torch_network",
    True,
    True,
    _network_space,
    _build_network,
    needs_scaling=True,
    low_cost={"hidden_units": 32, "n_layers": 1, "max_epochs": 5},
    preload=("torch",),
    requires="torch",
    opt_in=True,
    early_stopping=EarlyStopping("max_epochs", own_watched_fit),
)
