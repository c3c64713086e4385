"""Classical models trained beside the deep one, on the same split, and stored
without pickle: their numbers as tensors, their settings as JSON.

TF-IDF + logistic regression is the classical way to classify text: word and word-pair
counts, weighted by rarity, and one linear model."""

from __future__ import annotations

import time

import numpy as np
import torch

from ..log import say

TFIDF = {"ngram_range": (1, 2), "sublinear_tf": True, "min_df": 1, "lowercase": True}
C_GRID = (1.0, 10.0)  # inverse regularisation strengths tried, picked on validation


class TfidfLogistic:
    """Texts -> class probabilities, with scikit-learn's TfidfVectorizer and
    LogisticRegression. Saved as a vocabulary, idf weights and coefficients."""

    name = "tfidf-logistic"
    title = "TF-IDF (words and word pairs) + logistic regression"

    def __init__(self, vectorizer=None, coef=None, intercept=None, c: float | None = None):
        self.vectorizer, self.coef, self.intercept, self.c = vectorizer, coef, intercept, c

    @classmethod
    def fit(
        cls, texts: list[str], y: np.ndarray, val_texts: list[str], val_y: np.ndarray
    ) -> TfidfLogistic | None:
        """Fit on texts; choose the regularisation on the validation texts. None when
        the texts hold no words to count."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        start = time.perf_counter()
        vectorizer = TfidfVectorizer(**TFIDF, dtype=np.float32)
        try:
            x, x_val = vectorizer.fit_transform(texts), vectorizer.transform(val_texts)
        except ValueError:  # no word of two letters or more in any text
            say(f"No words to count in the training texts; {cls.title} is not trained.")
            return None
        best = None
        for c in C_GRID:
            model = LogisticRegression(C=c, max_iter=2000).fit(x, y)
            accuracy = float((model.predict(x_val) == val_y).mean())
            if best is None or accuracy > best[0]:
                best = (accuracy, c, model)
        _, c, model = best
        coef, intercept = model.coef_.astype(np.float32), model.intercept_.astype(np.float32)
        if len(model.classes_) == 2:  # one weight vector; softmax([-z/2, z/2]) == sigmoid(z)
            coef = np.concatenate([-coef / 2, coef / 2])
            intercept = np.array([-1, 1], np.float32) * intercept / 2
        say(f"Trained {cls.title} (C={c:g}) in {time.perf_counter() - start:.1f} s.")
        return cls(vectorizer, coef, intercept, c)

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        logits = self.vectorizer.transform(texts) @ self.coef.T + self.intercept
        logits = np.asarray(logits, np.float32)
        logits -= logits.max(1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(1, keepdims=True)

    predict = predict_proba  # as the other classical models are called

    # -- storage: tensors and JSON only -------------------------------------------
    def spec(self) -> dict:
        return {"name": self.name, "C": self.c, **{k: v for k, v in TFIDF.items()}}

    def tensors(self) -> dict[str, torch.Tensor]:
        terms = self.vectorizer.get_feature_names_out()
        text = "\n".join(terms).encode("utf-8")
        return {
            "vocabulary": torch.from_numpy(np.frombuffer(text, np.uint8).copy()),
            "idf": torch.from_numpy(self.vectorizer.idf_.astype(np.float32)),
            "coef": torch.from_numpy(self.coef),
            "intercept": torch.from_numpy(self.intercept),
        }

    @classmethod
    def from_saved(cls, spec: dict, tensors: dict[str, torch.Tensor]) -> TfidfLogistic:
        from sklearn.feature_extraction.text import TfidfVectorizer

        terms = bytes(tensors["vocabulary"].numpy()).decode("utf-8").split("\n")
        options = {k: tuple(v) if isinstance(v, list) else v for k, v in spec.items() if k in TFIDF}
        vocabulary = {t: i for i, t in enumerate(terms)}
        vectorizer = TfidfVectorizer(**options, vocabulary=vocabulary, dtype=np.float32)
        vectorizer.idf_ = tensors["idf"].numpy().astype(np.float64)
        coef, intercept = tensors["coef"].numpy(), tensors["intercept"].numpy()
        if not (
            coef.ndim == 2
            and coef.shape[1] == len(terms) == len(vectorizer.idf_)
            and intercept.shape == (coef.shape[0],)
        ):
            raise ValueError(f"coefficients of shape {coef.shape} for a vocabulary of {len(terms)}")
        return cls(vectorizer, coef, intercept, spec.get("C"))
