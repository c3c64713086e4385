"""Text classification: tables of texts in, MiniLM embeddings + classifier (or the
transformer fine-tuned) beside TF-IDF + logistic regression, predictions out."""

import json
import re

import numpy as np
import pandas as pd
import pytest
import torch

from deepstart import Predictor
from deepstart.classical import TfidfLogistic
from deepstart.modalities import read_labeled
from deepstart.modalities.texts.encoders import TextEncoder, TokenEncoder
from deepstart.train.batches import shuffled

from conftest import reviews, run_cli

UNSEEN = ["the cast was superb and joyful", "the music was tedious and awful", "this movie was charming"]


def test_cli_train_predict_evaluate(text_model, tmp_path):
    manifest = json.loads((text_model / "manifest.json").read_text())
    assert manifest["modality"] == "text" and manifest["classes"] == ["neg", "pos"]
    assert manifest["columns"] == {"text": "review", "target": "sentiment"}
    assert manifest["encoder"]["precision"] == "int8" and manifest["model"]["name"] == "transfer"
    board = manifest["leaderboard"]
    assert {r["name"] for r in board} == {"deep", "classical", "ensemble"}
    assert [r["chosen"] for r in board] == [True, False, False] and manifest["choice"] == board[0]["name"]

    code, out, err = run_cli("predict", str(text_model), *UNSEEN, "--json")
    assert code == 0, err
    assert [r["label"] for r in json.loads(out)] == ["pos", "neg", "pos"]

    reviews(40, seed=7).to_csv(tmp_path / "new.csv", index=False)
    code, _, err = run_cli(
        "predict", str(text_model), str(tmp_path / "new.csv"), "--out", str(tmp_path / "p.csv")
    )
    assert code == 0, err
    predicted = pd.read_csv(tmp_path / "p.csv")
    assert list(predicted.columns) == ["input", "label", "p_neg", "p_pos", "error"]
    assert (predicted["label"] == reviews(40, seed=7)["sentiment"]).mean() >= 0.9

    code, out, err = run_cli("evaluate", str(text_model), str(tmp_path / "new.csv"), "--json")
    assert code == 0, err
    assert json.loads(out)["accuracy"] >= 0.9 and json.loads(out)["n"] == 40


def test_saved_model_predicts_like_the_trained_one(tmp_path):
    data = reviews(90, neutral=True)
    p = Predictor(seed=1).fit(data, target="sentiment")
    assert p.classes_ == ["neg", "neutral", "pos"]
    texts = list(reviews(30, seed=3, neutral=True)["review"])
    loaded = Predictor.load(p.save(tmp_path / "m"))
    np.testing.assert_allclose(loaded.predict_proba(texts), p.predict_proba(texts), atol=1e-6)
    assert loaded.predict(texts) == list(reviews(30, seed=3, neutral=True)["sentiment"])


def test_integer_labels_come_back_as_integers():
    data = reviews(60)
    data["sentiment"] = (data["sentiment"] == "pos").astype(int)
    p = Predictor().fit(list(data["review"]), data["sentiment"].to_numpy())
    assert p.predict(UNSEEN[:2]) == [1, 0]


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet", ".jsonl"])
def test_table_formats(tmp_path, suffix):
    data = reviews(20)
    path = tmp_path / f"reviews{suffix}"
    if suffix == ".parquet":
        data.to_parquet(path)
    elif suffix == ".jsonl":
        data.to_json(path, orient="records", lines=True)
    else:
        data.to_csv(path, index=False, sep="\t" if suffix == ".tsv" else ",")
    examples = read_labeled(path, target="sentiment")
    assert examples.kind == "text" and examples.items == list(data["review"])
    assert examples.labels == list(data["sentiment"])


def test_text_column_is_detected_and_other_columns_are_named(tmp_path):
    data = reviews(20).assign(stars=3)[["stars", "id", "sentiment", "review"]]
    data.to_csv(tmp_path / "r.csv", index=False)
    code, out, err = run_cli("train", str(tmp_path / "r.csv"), "--out", str(tmp_path / "m"), "--epochs", "2")
    assert code == 0, err
    assert "Using the text in 'review' and the labels in 'sentiment'; ignoring stars, id " in err
    assert "Models trained on the same split" in out and "TF-IDF" in out


def test_embeddings_are_all_minilm_l6_v2():
    """The int8 ONNX encoder gives sentence-transformers' embeddings, near enough to keep
    their meaning: similar sentences close, unrelated ones apart."""
    from sentence_transformers import SentenceTransformer

    from deepstart.models import minilm

    texts = ["a great film", "an excellent movie", "the invoice is overdue", "dogs bark at night"]
    reference = SentenceTransformer(str(minilm.model_dir()), device="cpu").encode(texts)
    fp32 = TextEncoder(cache=False, int8=False).embed(texts)
    int8 = TextEncoder(cache=False).embed(texts)
    assert (reference * fp32).sum(1).min() > 0.9999
    assert (reference * int8).sum(1).min() > 0.95
    similar, unrelated = int8[0] @ int8[1], int8[0] @ int8[2]
    assert similar > 0.6 > unrelated + 0.3


def test_embeddings_are_cached_by_content(monkeypatch):
    encoder = TextEncoder()
    first = encoder.encode(["a text never seen before", "another one"]).features

    def refuse(*args, **kwargs):
        raise AssertionError("the network ran although the texts were cached")

    monkeypatch.setattr(TextEncoder, "embed", refuse)
    np.testing.assert_array_equal(
        TextEncoder().encode(["another one", "a text never seen before"]).features, first[::-1]
    )


def test_long_texts_are_cut_and_said(caplog):
    encoded = TokenEncoder().encode(["word " * 1000, "short"])
    assert encoded.features.shape == (2, 256)
    assert "1 of 2 texts are longer than the 256 tokens" in caplog.text


def test_classical_model_survives_saving():
    data = reviews(60, neutral=True)
    texts, y = list(data["review"]), data["sentiment"].astype("category").cat.codes.to_numpy()
    model = TfidfLogistic.fit(texts, y, texts[:20], y[:20])
    again = TfidfLogistic.from_saved(json.loads(json.dumps(model.spec())), model.tensors())
    np.testing.assert_allclose(again.predict_proba(UNSEEN), model.predict_proba(UNSEEN), atol=1e-6)


def test_binary_classical_model_matches_scikit_learn():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    data = reviews(40)
    texts, y = list(data["review"]), (data["sentiment"] == "pos").to_numpy().astype(int)
    model = TfidfLogistic.fit(texts, y, texts, y)
    x = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit_transform(texts)
    reference = LogisticRegression(C=model.c, max_iter=2000).fit(x, y)
    np.testing.assert_allclose(model.predict_proba(texts), reference.predict_proba(x), atol=1e-5)


def test_token_batches_group_similar_lengths():
    torch.manual_seed(0)
    lengths = torch.randint(1, 60, (1000,))
    ids = (torch.arange(60)[None, :] < lengths[:, None]).int()  # 1 where a token is, 0 after
    batches = shuffled(ids, 32, "tokens")
    assert sorted(torch.cat(batches).tolist()) == list(range(1000))
    spread = np.mean([int(lengths[b].max() - lengths[b].min()) for b in batches])
    assert spread < 5  # random batches of 32 would span about 50


def test_fine_tune_trains_the_transformer_and_round_trips(tmp_path):
    data = reviews(40)
    p = Predictor(model="fine-tune", epochs=1, batch_size=8).fit(data, target="sentiment")
    assert p.recipe_["name"] == "fine-tune" and p.encoder_.spec()["name"] == "minilm-tokens"
    loaded = Predictor.load(p.save(tmp_path / "m"))
    np.testing.assert_allclose(loaded.predict_proba(UNSEEN), p.predict_proba(UNSEEN), atol=1e-5)
    tuned = p.net_.body.transformer.encoder.layer[-1].output.dense.weight
    pretrained = minilm_layer_weight()
    assert not torch.equal(tuned, pretrained)


def minilm_layer_weight() -> torch.Tensor:
    from deepstart.models import minilm

    return minilm.build_transformer().encoder.layer[-1].output.dense.weight


def test_separate_validation_texts(tmp_path):
    reviews(60).to_csv(tmp_path / "train.csv", index=False)
    reviews(20, seed=5).to_csv(tmp_path / "dev.csv", index=False)
    p = Predictor(epochs=3).fit(tmp_path / "train.csv", target="sentiment", val=tmp_path / "dev.csv")
    assert p.data_["n_train"] == 48 and p.data_["n_validation"] == 20  # 12 held out to test
    assert p.data_["validation_source"] == str(tmp_path / "dev.csv")


def test_validation_texts_inside_training_texts_are_flagged(caplog):
    sentences = list(reviews(60)["review"])
    phrases = sentences + [s.split(" and ")[0] + " and" for s in sentences]  # cut from the sentences
    labels = list(reviews(60)["sentiment"]) * 2
    Predictor(epochs=2, val_size=0.3).fit(phrases, labels)
    assert "validation texts appear word for word inside training texts" in caplog.text


def test_leaderboard_keeps_the_best_on_validation_not_on_test():
    from deepstart.evaluate.leaderboard import Candidate, ranked

    y = np.array([0, 1, 0, 1])
    right, wrong = np.eye(2)[y], np.eye(2)[1 - y]
    candidates = [Candidate("deep", "d", wrong, right, 1.0), Candidate("classical", "c", right, wrong, 1.0)]
    rows = ranked(candidates, y, y, regression=False)
    assert [r["name"] for r in rows] == ["classical", "deep"] and rows[0]["chosen"]
    assert rows[0]["test_accuracy"] == 0.0 and rows[0]["validation_log_loss"] < rows[1]["validation_log_loss"]


@pytest.mark.parametrize("choice", ["classical", "ensemble"])
def test_kept_classical_or_ensemble_predicts_the_same_after_loading(tmp_path, choice):
    p = Predictor(epochs=3).fit(reviews(60), target="sentiment")
    p.choice_ = choice  # as when it wins on validation
    deep = p.network_outputs(p.encoder_.encode(UNSEEN).features)
    classical = p.classical_.predict_proba(UNSEEN)
    expected = classical if choice == "classical" else (deep + classical) / 2
    np.testing.assert_allclose(p.predict_proba(UNSEEN), expected, atol=1e-6)
    loaded = Predictor.load(p.save(tmp_path / "m"))
    assert loaded.choice_ == choice
    np.testing.assert_allclose(loaded.predict_proba(UNSEEN), expected, atol=1e-5)


def test_split_parts_are_disjoint_and_keep_texts_with_their_labels():
    from deepstart.modalities import REGISTRY
    from deepstart.pipeline.prepare import prepare
    from deepstart.settings import Settings

    data = reviews(50)
    examples, settings = read_labeled(data, target="sentiment"), Settings()
    encoder = REGISTRY["text"].recipe(examples, settings).encoder
    targets, split = prepare(examples, None, None, encoder, settings)
    truth = dict(zip(data["review"], data["sentiment"]))
    seen = []
    for part in ("train", "val", "test"):
        texts = split.inputs[part]
        labels = getattr(split, part)[1]
        assert [truth[t] for t in texts] == [targets.classes[k] for k in labels]
        seen += texts
    assert sorted(seen) == sorted(data["review"])


def test_float_labels_of_a_dataframe_are_integers():
    data = reviews(30)
    data["sentiment"] = (data["sentiment"] == "pos").astype(float)
    examples = read_labeled(data, target="sentiment")
    assert examples.integer_labels and set(examples.labels) == {"0", "1"}


def test_evaluate_reads_the_columns_the_model_was_trained_on(text_model, tmp_path):
    data = reviews(40, seed=9)
    data["notes"] = (
        "a much longer free text note that says nothing at all about whether the film was any good"
    )
    data.to_csv(tmp_path / "t.csv", index=False)
    metrics = Predictor.load(text_model).evaluate(tmp_path / "t.csv")  # 'notes' would be detected
    assert metrics["accuracy"] >= 0.9


def test_word_attributions_find_the_words_that_decide(text_model, tmp_path):
    from deepstart.modalities.texts.explain import word_attributions

    from conftest import NEGATIVE, POSITIVE

    model = Predictor.load(text_model)
    [positive, negative] = word_attributions(
        model, ["the music was superb and charming", "the cast was dull and awful"]
    )
    assert positive["label"] == "pos" and negative["label"] == "neg"
    for record, words in ((positive, POSITIVE), (negative, NEGATIVE)):
        top = max(record["words"], key=lambda w: w["effect"])["word"]
        assert top in words, record
    code, out, err = run_cli(
        "explain", str(text_model), "the story was tedious and painful", "--out", str(tmp_path)
    )
    assert code == 0, err
    page = (tmp_path / "explanations.html").read_text()
    assert "tedious" in page and "rgba(" in page and "neg" in out


WORD_SPAN = re.compile(
    r'<span style="background:rgba\((\d+),(\d+),(\d+),([\d.]+)\)" title="([+-][\d.]+)">(\w+)</span>'
)


def test_report_colours_the_words_of_each_worst_mistake(text_model, tmp_path):
    from conftest import NEGATIVE

    model = Predictor.load(text_model)
    text = "the cast was dull and awful"
    model.worst_ = [{"input": text, "truth": "pos", "predicted": "neg (90%)"}]  # as if it were a mistake
    model.save(tmp_path / "m")
    page = (tmp_path / "m" / "report.html").read_text()
    mistakes = page[page.index("The worst mistakes") :]
    words = [(m[5], float(m[4]), m[:3]) for m in WORD_SPAN.findall(mistakes)]
    assert [w for w, _, _ in words] == text.split()
    top, effect, colour = max(words, key=lambda w: w[1])
    assert top in NEGATIVE and effect > 0 and colour == ("0", "160", "0")  # green: for 'neg'

    from deepstart.modalities.texts.explain import word_attributions

    [record] = word_attributions(model, ["the film was dull " * 20], max_words=6)
    assert len(record["words"]) == 6  # only the first words are weighed


def test_explain_refuses_empty_texts_and_evaluate_unknown_groups(text_model, tmp_path):
    code, _, err = run_cli("explain", str(text_model), "   ")
    assert code == 2 and "empty" in err
    code, _, err = run_cli("explain", str(text_model), "a dull film", "--class", "pos")
    assert code == 2 and "--class is for image models" in err
    code, _, err = run_cli("explain", str(text_model), "--global", "--data", "x.csv")
    assert code == 2 and "--global is for table models" in err
    reviews(20).to_csv(tmp_path / "r.csv", index=False)
    code, _, err = run_cli("evaluate", str(text_model), str(tmp_path / "r.csv"), "--group", "nosuch")
    assert code == 2 and "not a column" in err  # groups of texts come from their table (issue 17)
