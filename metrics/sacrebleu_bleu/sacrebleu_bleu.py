"""Corpus BLEU with sacrebleu, as a local `evaluate` metric module: no download from the hub.

    import evaluate
    bleu = evaluate.load("metrics/sacrebleu_bleu")      # a path: evaluate loads this file, offline
    bleu.compute(predictions=["a b c"], references=[["a b c"]], tokenize="none")

The original workshop called ``evaluate.load("bleu")``, which downloads its script from the
Hugging Face hub at run time (impossible on an offline compute node). This module gives the
same call shape, computed by sacrebleu, with the score on both scales and sacrebleu's signature.
"""

import datasets
import evaluate
import sacrebleu

_DESCRIPTION = "Corpus BLEU computed by sacrebleu (score 0-100, bleu 0-1, and the signature)."
_KWARGS = """
Args:
    predictions: list of system outputs (str).
    references: list of lists of references (one list per prediction; all the same length).
    tokenize: sacrebleu tokenizer: "13a" (default), "none" (already split into words), "char", "ja-mecab".
    lowercase: compare lowercased.
Returns:
    score (0-100), bleu (0-1, the original workshop's scale), precisions, bp, sys_len, ref_len, signature.
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS)
class SacrebleuBleu(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="Post, 2018. A Call for Clarity in Reporting BLEU Scores.",
            inputs_description=_KWARGS,
            features=datasets.Features({
                "predictions": datasets.Value("string"),
                "references": datasets.Sequence(datasets.Value("string")),
            }),
            reference_urls=["https://github.com/mjpost/sacrebleu"],
        )

    def _compute(self, predictions, references, tokenize="13a", lowercase=False):
        counts = {len(refs) for refs in references}
        if len(counts) != 1:
            raise ValueError("every prediction needs the same number of references")
        streams = [list(refs) for refs in zip(*references)]  # sacrebleu wants one list per reference set
        bleu = sacrebleu.BLEU(tokenize=tokenize, lowercase=lowercase)
        result = bleu.corpus_score(predictions, streams)
        return {"score": result.score, "bleu": result.score / 100, "precisions": result.precisions,
                "bp": result.bp, "sys_len": result.sys_len, "ref_len": result.ref_len,
                "signature": str(bleu.get_signature())}
