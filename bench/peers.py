"""Peers measured on the same files, one thread: scikit-learn TF-IDF + MultinomialNB
(vectorise + predict over the bbc test articles, trained on bbc train) and sumy TextRank
(sentence splitting + summary of each bbc test article, ratio 0.4).

usage: python bench/peers.py DATA_DIR [--quick] [--sklearn-only]
Prints one JSON line: {"sklearn_docs_per_s": ..., "textrank_docs_per_s": ..., ...}
"""
import json
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def median_rate(n, fn, reps=5):
    fn()
    rates = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        rates.append(n / (time.perf_counter() - t))
    rates.sort()
    return rates[len(rates) // 2]


def tokenizer():
    """sumy's own Tokenizer("english") loads NLTK's trained punkt model, which nltk downloads
    from GitHub at run time (refused on machines without general network access). This one uses
    NLTK's Punkt with default parameters and the Treebank word tokenizer: no data files, and
    the same algorithms and cost per sentence."""
    from nltk.tokenize import PunktSentenceTokenizer, TreebankWordTokenizer
    try:
        from sumy.nlp.tokenizers import Tokenizer
        return Tokenizer("english")
    except LookupError:
        pass

    class Tok:
        language = "english"
        _s = PunktSentenceTokenizer()
        _w = TreebankWordTokenizer()

        def to_sentences(self, paragraph):
            return tuple(s.strip() for s in self._s.tokenize(paragraph) if s.strip())

        def to_words(self, sentence):
            return tuple(w for w in self._w.tokenize(sentence) if any(c.isalnum() for c in w))

    return Tok()


def main():
    data = sys.argv[1]
    quick = "--quick" in sys.argv
    rows = load(os.path.join(data, "bbc/bbc.jsonl"))
    train = [r for r in rows if r["split"] == "train"]
    test = [r for r in rows if r["split"] == "test"]
    if quick:
        test = test[:100]
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.naive_bayes import MultinomialNB

    vec = TfidfVectorizer()
    X = vec.fit_transform([r["title"] + "\n" + r["text"] for r in train])
    nb = MultinomialNB(alpha=0.03).fit(X, [r["topic"] for r in train])
    texts = [r["title"] + "\n" + r["text"] for r in test]
    sk = median_rate(len(texts), lambda: nb.predict_proba(vec.transform(texts)))
    out = {"docs": len(texts), "sklearn_docs_per_s": sk}
    if "--sklearn-only" in sys.argv:
        print(json.dumps(out))
        return

    from sumy.nlp.stemmers import Stemmer
    from sumy.parsers.plaintext import PlaintextParser
    from sumy.summarizers.text_rank import TextRankSummarizer
    from sumy.utils import get_stop_words

    tok = tokenizer()
    summ = TextRankSummarizer(Stemmer("english"))
    # Stop words as in the quality run (bench/peers_quality.py): the peer as tuned.
    summ.stop_words = get_stop_words("english")
    tr_docs = test[:100] if not quick else test[:30]

    def textrank():
        for r in tr_docs:
            doc = PlaintextParser.from_string(r["text"], tok).document
            k = max(1, round(0.4 * len(doc.sentences)))
            summ(doc, k)

    out["textrank_docs"] = len(tr_docs)
    out["textrank_docs_per_s"] = median_rate(len(tr_docs), textrank, reps=3)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
