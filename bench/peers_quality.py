"""Quality of the peers on exactly the files Lede is evaluated on, in the same run:
- topic (bbc): scikit-learn TF-IDF + MultinomialNB / ComplementNB, alpha by 5-fold CV on train;
  fastText supervised (training rows shuffled: the files are ordered by label);
- region (reuters, train on single-region rows, test on rows with >= 1 region, correct if the top
  region is among them; macro-F1 with a miss charged to the row's alphabetically first region):
  TF-IDF(1,2) + ComplementNB and MultinomialNB (alpha by 5-fold CV), fastText;
- summaries (bbc test, k = round(0.4 x sentences)): sumy Luhn / LexRank / TextRank and lead-k,
  ROUGE-1/2/Lsum with rouge-score (stemming on), references split with pysbd; and the same peers
  on the CNN/DailyMail dev set, k = 3, ROUGE-1/2/L (sumy's sentence splitting: lead-3 on Lede's
  segmentation comes from `lede-eval summarize --lead`).

usage: python bench/peers_quality.py DATA_DIR [--quick] [--summaries-only]   (prints one JSON line)
"""
import json
import os
import random
import sys
import tempfile

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers import load, tokenizer  # noqa: E402  (the speed script's reader and tokenizer)


def macro_f1(preds, truths, labels):
    from sklearn.metrics import f1_score
    y_true = [p if p in t else min(t) for p, t in zip(preds, truths)]
    return 100 * f1_score(y_true, preds, labels=labels, average="macro", zero_division=0)


def accuracy(preds, truths):
    return 100 * sum(p in t for p, t in zip(preds, truths)) / len(preds)


def sk_models(train_x, train_y, ngram):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.model_selection import GridSearchCV
    from sklearn.naive_bayes import ComplementNB, MultinomialNB
    from sklearn.pipeline import make_pipeline
    out = {}
    for name, cls in (("MultinomialNB", MultinomialNB), ("ComplementNB", ComplementNB)):
        pipe = make_pipeline(TfidfVectorizer(ngram_range=ngram), cls())
        grid = GridSearchCV(pipe, {cls.__name__.lower() + "__alpha": [0.01, 0.03, 0.1, 0.3, 1.0]},
                            cv=5, scoring="f1_macro", n_jobs=1)
        grid.fit(train_x, train_y)
        out[name] = grid
    return out


def fasttext_model(train_x, train_y):
    import fasttext
    rows = [f"__label__{y} " + x.replace("\n", " ") for x, y in zip(train_x, train_y)]
    random.Random(1).shuffle(rows)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(rows) + "\n")
    m = fasttext.train_supervised(f.name, epoch=25, lr=0.5, wordNgrams=2, thread=1, verbose=0, seed=1)
    os.unlink(f.name)
    # m.predict() breaks on NumPy 2 (np.array(copy=False)); the binding's own predict does not.
    return lambda x: m.f.predict(x.replace("\n", " "), 1, 0.0, "strict")[0][1][len("__label__"):]


def classification(data, quick):
    res = {}
    bbc = load(os.path.join(data, "bbc/bbc.jsonl"))
    tr = [r for r in bbc if r["split"] == "train"]
    te = [r for r in bbc if r["split"] == "test"]
    doc = lambda r: r["title"] + "\n" + r["text"]
    labels = sorted({r["topic"] for r in bbc})
    truths = [[r["topic"]] for r in te]
    for name, m in sk_models([doc(r) for r in tr], [r["topic"] for r in tr], (1, 1)).items():
        p = list(m.predict([doc(r) for r in te]))
        res[f"topic {name} (TF-IDF, alpha {list(m.best_params_.values())[0]})"] = (accuracy(p, truths), macro_f1(p, truths, labels))
    ft = fasttext_model([doc(r) for r in tr], [r["topic"] for r in tr])
    p = [ft(doc(r)) for r in te]
    res["topic fastText"] = (accuracy(p, truths), macro_f1(p, truths, labels))
    if quick:
        return res
    reu = load(os.path.join(data, "reuters/reuters.jsonl"))
    tr = [r for r in reu if r["split"] == "train" and len(r["regions"]) == 1]
    te = [r for r in reu if r["split"] == "test" and r["regions"]]
    labels = sorted({g for r in reu for g in r["regions"]})
    truths = [r["regions"] for r in te]
    for name, m in sk_models([doc(r) for r in tr], [r["regions"][0] for r in tr], (1, 2)).items():
        p = list(m.predict([doc(r) for r in te]))
        res[f"region {name} (TF-IDF 1-2, alpha {list(m.best_params_.values())[0]})"] = (accuracy(p, truths), macro_f1(p, truths, labels))
    ft = fasttext_model([doc(r) for r in tr], [r["regions"][0] for r in tr])
    p = [ft(doc(r)) for r in te]
    res["region fastText"] = (accuracy(p, truths), macro_f1(p, truths, labels))
    return res


def summaries(data, quick, corpus="bbc"):
    """bbc: test rows, k = round(0.4 x sentences), ROUGE-1/2/Lsum; cnndm: every dev row, k = 3,
    ROUGE-1/2/L (the highlights are not sentences of the article, so plain ROUGE-L as in the
    literature)."""
    import pysbd
    from rouge_score import rouge_scorer
    from sumy.nlp.stemmers import Stemmer
    from sumy.parsers.plaintext import PlaintextParser
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.summarizers.luhn import LuhnSummarizer
    from sumy.summarizers.text_rank import TextRankSummarizer
    from sumy.utils import get_stop_words
    if corpus == "cnndm":
        te = load(os.path.join(data, "cnndm/cnndm_dev.jsonl"))
        for r in te:
            r["summary"] = r["summary"].replace("\n", " ")
    else:
        te = [r for r in load(os.path.join(data, "bbc/bbc.jsonl")) if r["split"] == "test"]
    keys = ("rouge1", "rouge2", "rougeL" if corpus == "cnndm" else "rougeLsum")
    if quick:
        te = te[:40]
    tok = tokenizer()
    seg = pysbd.Segmenter(language="en", clean=False)
    scorer = rouge_scorer.RougeScorer(list(keys), use_stemmer=True)
    systems = {"sumy Luhn": LuhnSummarizer(Stemmer("english")), "sumy LexRank": LexRankSummarizer(Stemmer("english")),
               "sumy TextRank": TextRankSummarizer(Stemmer("english")), "lead-k": None}
    # sumy's summarisers ignore no words unless told: with English stop words (as the data
    # README's tuned peers were run) TextRank gains ~10 ROUGE-1 points on these articles.
    for summ in systems.values():
        if summ is not None:
            summ.stop_words = get_stop_words("english")
    res = {}
    for name, summ in systems.items():
        tot = [0.0, 0.0, 0.0]
        for r in te:
            d = PlaintextParser.from_string(r["text"], tok).document
            k = 3 if corpus == "cnndm" else max(1, round(0.4 * len(d.sentences)))
            picked = [str(s) for s in (d.sentences[:k] if summ is None else summ(d, k))]
            ref = "\n".join(s.strip() for s in seg.segment(r["summary"]) if s.strip())
            sc = scorer.score(ref, "\n".join(picked))
            for i, key in enumerate(keys):
                tot[i] += sc[key].fmeasure
        res[name] = [100 * t / len(te) for t in tot]
    return res


if __name__ == "__main__":
    data = sys.argv[1]
    quick = "--quick" in sys.argv
    if "--summaries-only" in sys.argv:
        print(json.dumps({"summaries": summaries(data, quick), "summaries_cnndm": summaries(data, quick, "cnndm")}))
    else:
        print(json.dumps({"classification": classification(data, quick), "summaries": summaries(data, quick),
                          "summaries_cnndm": summaries(data, quick, "cnndm")}))
