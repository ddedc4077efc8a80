"""Peer classifiers on the seven-desk topic task of issue #12, measured by the data README's protocol
(../shared/data/README.md, "news/"), one thread:
- peers: scikit-learn TfidfVectorizer(1-2 grams, sublinear tf, min_df 2, English stop words) +
  MultinomialNB, the same + ComplementNB (alpha by 5-fold CV accuracy on the training rows, shuffled
  stratified folds with seed 0; the CV accuracy at that alpha is reported too), and
  fastText supervised (wordNgrams 2, 25 epochs, lr 0.5, dim 50, training rows shuffled with seed 1);
- trained on the train rows with a topic of bbc/bbc.jsonl, news/bbc_rss_2022.jsonl and
  news/huffpost_2018_2022.jsonl (15,104 rows), input = title + newline + text;
- restricted-label accuracy and macro-F1 (%) on each test split and on their union: a row's
  prediction is the best-scoring label among the labels its own test split uses (bbc 2004-05: five
  desks; the news files: all seven);
- title-only accuracy on the bbc_rss_2022 and huffpost test rows (same models, input = title);
- leave-one-source-out accuracy: train on the other two sources (alpha again by CV), test on the
  held-out source's test split over its labels;
- fit seconds and predict items/s (vectorise + class probabilities over the union test texts) of
  the union-trained models.

usage: python bench/peers_topics.py DATA_DIR [--quick] > out.json
--quick measures every figure the same way and only skips the repeats of the predict timing.
Prints one JSON object on stdout, progress on stderr.
"""
import json
import os
import random
import sys
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers import load  # noqa: E402  (the house JSONL reader)

import numpy as np  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402
from sklearn.naive_bayes import ComplementNB, MultinomialNB  # noqa: E402

SOURCES = {"bbc": "bbc/bbc.jsonl", "bbc_rss_2022": "news/bbc_rss_2022.jsonl",
           "huffpost": "news/huffpost_2018_2022.jsonl"}
TITLE_ONLY = ("bbc_rss_2022", "huffpost")
NB = {"MultinomialNB": MultinomialNB, "ComplementNB": ComplementNB}
ALPHAS = [0.01, 0.03, 0.1, 0.3, 1.0]
PROTOCOL = ("train on the train rows with a topic of bbc + bbc_rss_2022 + huffpost (title + newline + text); "
            "TF-IDF(1,2, sublinear, min_df 2, English stop words) + MultinomialNB / ComplementNB with alpha by "
            "5-fold CV accuracy on train (stratified, shuffled, seed 0), fastText supervised (wordNgrams 2, "
            "epoch 25, lr 0.5, dim 50, rows shuffled with seed 1); one thread; restricted-label accuracy and "
            "macro-F1 (%) over each test split's own labels; title_only: accuracy with the title as input; "
            "loso: trained on the other two sources' train rows; fit_seconds and predict_per_sec (vectorise + "
            "probabilities over the union test texts) of the union-trained models")


def log(msg):
    print(f"[peers_topics {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def doc(r):
    return r["title"] + "\n" + r["text"]


def vectoriser():
    return TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, stop_words="english")


def cv_alphas(texts, labels):
    """Alpha of each NB peer by 5-fold CV accuracy on the training rows, and that CV accuracy (%).
    Same folds and choice as GridSearchCV(pipeline, {alpha: ALPHAS}, scoring="accuracy",
    cv=StratifiedKFold(5, shuffle=True, random_state=0)) (the first alpha with the best mean), but the
    vectoriser is fitted once per fold and shared by both peers and all alphas: it does not depend
    on them. The folds are shuffled because the files are ordered by label and the sources are
    concatenated: unshuffled folds would each hold mostly one source."""
    texts, labels = np.array(texts, dtype=object), np.array(labels)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    acc = {name: np.zeros((len(ALPHAS), 5)) for name in NB}
    for fold, (tr, va) in enumerate(folds.split(texts, labels)):
        vec = vectoriser()
        x_tr, x_va = vec.fit_transform(texts[tr]), vec.transform(texts[va])
        for name, cls in NB.items():
            for i, alpha in enumerate(ALPHAS):
                acc[name][i, fold] = np.mean(cls(alpha=alpha).fit(x_tr, labels[tr]).predict(x_va) == labels[va])
    best = {name: int(np.argmax(a.mean(axis=1))) for name, a in acc.items()}
    return {name: (ALPHAS[i], 100 * acc[name][i].mean()) for name, i in best.items()}


class NBPeer:
    """TF-IDF + a naive Bayes classifier; scores are the joint log-likelihoods (for ComplementNB
    its decision scores), whose argmax over any subset of labels is the restricted prediction."""

    def __init__(self, cls, alpha):
        self.vec, self.clf = vectoriser(), cls(alpha=alpha)

    def fit(self, texts, labels):
        self.clf.fit(self.vec.fit_transform(texts), labels)
        return self

    def scores(self, texts):
        return list(self.clf.classes_), self.clf.predict_joint_log_proba(self.vec.transform(texts))

    def predict_proba(self, texts):
        return self.clf.predict_proba(self.vec.transform(texts))


def line(text):
    """fastText reads one line per item."""
    return text.replace("\n", " ")


class FastTextPeer:
    """fastText supervised; scores are its probabilities over all labels (predict with k = -1).
    Calls the binding's one-line predict directly: the Python wrapper's predict breaks on NumPy 2
    (np.array(copy=False)) and the binding's multilinePredict returns every label the top probability."""

    def fit(self, texts, labels):
        import fasttext
        rows = [f"__label__{y} {line(x)}" for x, y in zip(texts, labels)]
        random.Random(1).shuffle(rows)  # the files are ordered by label
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "train.txt")
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(rows) + "\n")
            self.model = fasttext.train_supervised(path, wordNgrams=2, epoch=25, lr=0.5, dim=50, thread=1,
                                                   seed=1, verbose=0)
        self.labels = [lab[len("__label__"):] for lab in self.model.get_labels()]
        return self

    def _predict(self, texts, k):
        """[(probability, "__label__desk"), ...] of each text, best first."""
        return [self.model.f.predict(line(x) + "\n", k, 0.0, "strict") for x in texts]

    def scores(self, texts):
        col = {"__label__" + lab: j for j, lab in enumerate(self.labels)}
        out = np.zeros((len(texts), len(self.labels)))
        for i, pairs in enumerate(self._predict(texts, -1)):
            for p, lab in pairs:
                out[i, col[lab]] = p
        return self.labels, out

    def predict_proba(self, texts):
        return self._predict(texts, 1)


def restricted_predict(model, texts, allowed):
    """Argmax of the model's scores over the allowed labels only, for each text."""
    labels, scores = model.scores(texts)
    cols = [labels.index(lab) for lab in allowed]
    return [allowed[j] for j in np.argmax(scores[:, cols], axis=1)]


def evaluate(model, rows, allowed):
    """Restricted-label predictions of (title + text) rows, each row over its own source's labels."""
    preds, truth = [], []
    for src in SOURCES:
        own = [r for r in rows if r["source_key"] == src]
        if own:
            preds += restricted_predict(model, [doc(r) for r in own], allowed[src])
            truth += [r["topic"] for r in own]
    return preds, truth


def metrics(preds, truth, labels):
    """Accuracy and macro-F1 over labels, in %."""
    acc = 100 * np.mean([p == t for p, t in zip(preds, truth)])
    f1 = 100 * f1_score(truth, preds, labels=labels, average="macro", zero_division=0)
    return {"rows": len(truth), "accuracy": round(float(acc), 2), "macro_f1": round(float(f1), 2)}


def train_peers(rows, what):
    """The three peers trained on rows, the NB peers' (alpha, CV accuracy) and each fit's seconds."""
    texts, labels = [doc(r) for r in rows], [r["topic"] for r in rows]
    log(f"{what}: 5-fold CV of alpha on {len(rows)} rows")
    cv = cv_alphas(texts, labels)
    peers, fit_s = {}, {}
    for name, cls in NB.items():
        log(f"{what}: fit {name} (alpha {cv[name][0]}, CV accuracy {cv[name][1]:.2f})")
        t = time.perf_counter()
        peers[name] = NBPeer(cls, cv[name][0]).fit(texts, labels)
        fit_s[name] = time.perf_counter() - t
    log(f"{what}: fit fastText")
    t = time.perf_counter()
    peers["fastText"] = FastTextPeer().fit(texts, labels)
    fit_s["fastText"] = time.perf_counter() - t
    return peers, cv, fit_s


def predict_rate(model, texts, reps):
    """Items/s of plain prediction (class probabilities), median of reps timed runs after a warm-up."""
    model.predict_proba(texts)
    rates = []
    for _ in range(reps):
        t = time.perf_counter()
        model.predict_proba(texts)
        rates.append(len(texts) / (time.perf_counter() - t))
    return sorted(rates)[len(rates) // 2]


def main():
    data = sys.argv[1]
    reps = 1 if "--quick" in sys.argv else 5
    start = time.perf_counter()
    train, test = {}, {}
    for src, path in SOURCES.items():
        rows = [dict(r, source_key=src) for r in load(os.path.join(data, path)) if r["topic"] is not None]
        train[src] = [r for r in rows if r["split"] == "train"]
        test[src] = [r for r in rows if r["split"] == "test"]
    allowed = {src: sorted({r["topic"] for r in rows}) for src, rows in test.items()}
    union_test = [r for src in SOURCES for r in test[src]]
    union_labels = sorted({r["topic"] for r in union_test})

    peers, cv, fit_s = train_peers([r for src in SOURCES for r in train[src]], "union")
    out = {name: {} for name in peers}
    for name, model in peers.items():
        log(f"union: evaluate {name}")
        res = out[name]
        if name in cv:
            res["alpha"], res["cv_accuracy"] = cv[name][0], round(cv[name][1], 2)
        res["sets"] = {src: metrics(*evaluate(model, test[src], allowed), allowed[src]) for src in SOURCES}
        res["sets"]["union"] = metrics(*evaluate(model, union_test, allowed), union_labels)
        res["title_only"] = {}
        for src in TITLE_ONLY:
            preds = restricted_predict(model, [r["title"] for r in test[src]], allowed[src])
            res["title_only"][src] = metrics(preds, [r["topic"] for r in test[src]], allowed[src])["accuracy"]
        res["loso"] = {}  # filled below, once the union figures are in
        res["fit_seconds"] = round(fit_s[name], 2)
        res["predict_per_sec"] = round(predict_rate(model, [doc(r) for r in union_test], reps))

    for held in SOURCES:
        rows = [r for src in SOURCES if src != held for r in train[src]]
        loso, _, _ = train_peers(rows, f"loso {held}")
        for name, model in loso.items():
            out[name]["loso"][held] = metrics(*evaluate(model, test[held], allowed), allowed[held])["accuracy"]

    log(f"done in {time.perf_counter() - start:.0f} s")
    print(json.dumps({"protocol": PROTOCOL, "peers": out}))


if __name__ == "__main__":
    main()
