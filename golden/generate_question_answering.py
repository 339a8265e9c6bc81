"""transformers' question-answering pipeline (4.57.6, the last release that has it) on MiniLM under a
random BertForQuestionAnswering head: what `bertkit run --task question-answering` must print.

    golden/.venv-tf/bin/python golden/generate_question_answering.py
    # writes golden/fixtures/minilm-heads/question-answering/{config.json,head.safetensors}
    #        golden/expected/pipelines/question-answering.json

transformers removed the pipeline in 5.3, so this runs in golden/.venv-tf (transformers 4.57.6, torch).
The head is `qa_outputs` as transformers initialises it under `torch.manual_seed(SEED)`, with
`initializer_range` 0.5 instead of 0.02: with 0.02 the logits have a spread of ~0.1 and every span of a
long context scores ~1e-5, the size of the tests' tolerance; at 0.5 the top spans stand out.

Each run is one set of pipeline parameters over a list of (question, context) inputs, called one input
at a time. For each input the file keeps the pipeline's exact return value, its windows (what the
pipeline's fast tokenizer made with `return_overflowing_tokens`/`stride`: ids, token types, word ids,
offsets) and the number of windows. The script also redoes the postprocessing from the recorded logits
(`postprocess` below, the rules of REFERENCES §7) and asserts that it gives the pipeline's output, and
it asserts that no result depends on a near-tie (see `check_margins`).
"""
import os

os.environ.setdefault("USE_TF", "0")  # the pipeline module imports TensorFlow when it can
import offline_env  # noqa: F401

import json
from pathlib import Path

import numpy as np
import tokenizers
import torch
import transformers

from golden_io import write_text
from head_models import HEAD_FIXTURES, minilm_with_head, save_head

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "golden/expected/pipelines/question-answering.json"
SEED = 11
INIT_RANGE = 0.5
# Relative gap two scores must keep wherever their order decides the output: bertkit's logits differ from
# PyTorch's by ~1e-5 relative, so a swap needs a gap far below this.
MARGIN = 1e-3

LONG = (
    "The Harwick Canal was begun in 1791 by a company of mill owners who wanted a cheaper way to move coal "
    "from the pits at Elder Moor to the spinning towns in the valley. Its engineer, Thomas Greaves, had "
    "trained under the builders of the Bridgewater Canal and he planned a contour route of twenty-two miles "
    "with only four locks, all of them grouped at Sallow Bank where the ground falls sharply towards the "
    "river. Work went slowly. The clay along the northern section would not hold water until it had been "
    "puddled three times, and a wet winter in 1794 washed away the embankment near Cotter's Mill, drowning "
    "two horses and delaying the opening by a full year.\n\n"
    "When the canal finally opened on 14 May 1797, the first boat to travel its length carried forty tons of "
    "coal and a brass band. The toll was set at a penny per ton per mile, and within a decade the price of "
    "coal in Harwick had fallen by almost half. Warehouses, a boatyard and three public houses grew up "
    "around the basin at Market Wharf. The company paid its shareholders a dividend of eight per cent in "
    "most years between 1805 and 1840, a figure that made the canal one of the more profitable small "
    "waterways in the north of England.\n\n"
    "The railway reached Harwick in 1846. At first the canal company cut its tolls and carried on, because "
    "heavy goods such as stone, lime and timber still moved more cheaply by water. But the railway company "
    "bought a controlling share in 1853 and let the canal decline: maintenance was reduced, the locks at "
    "Sallow Bank were left unrepaired after a collapse in 1871, and the last commercial cargo, a load of "
    "roofing slate, was delivered to Market Wharf in the summer of 1902. For sixty years afterwards the "
    "channel silted up, the towpath became overgrown and much of the route was used as a rubbish tip.\n\n"
    "Restoration began in 1968, when a group of volunteers calling themselves the Harwick Canal Society "
    "cleared the first mile by hand on weekends. They raised money with sponsored walks, jumble sales and a "
    "long campaign of letters to the county council. The society rebuilt the four locks between 1979 and "
    "1988 using the original stone wherever it could be recovered from the river bed. The whole canal was "
    "reopened to boats on 2 June 1997, two hundred years after its first opening, and today it carries "
    "holiday narrowboats, canoes and a trip boat called the Greaves that runs from Market Wharf to Sallow "
    "Bank every afternoon in summer. The towpath forms part of a long-distance footpath, and the old "
    "toll-keeper's cottage at the top lock is now a small museum with the company's original ledgers.\n\n"
    "The museum's most unusual object is a wooden boat-gauging rule, about two metres long, with which the "
    "toll clerks measured how deep a loaded boat sat in the water. Each boat had been weighed empty and with "
    "known loads when it was first registered, and the clerk read the cargo off a printed table instead of "
    "weighing it. Disputes were common. A boatman named Josiah Pell was fined in 1823 for nailing strips of "
    "cork along his hull so that the boat rode higher, and the ledgers record his excuse, that the cork was "
    "meant to protect the paintwork, in the clerk's careful hand. Visitors can also see a reconstructed "
    "stable, a set of horse brasses, the society's first wheelbarrow and a model of the basin as it looked "
    "in 1830, when as many as sixty boats might be moored there on a busy morning."
)

FRENCH = (
    "Le musée de la Céramique de Rouen, installé dans l'hôtel d'Hocqueville depuis 1984, conserve plus de "
    "cinq mille pièces de faïence. La collection réunit des assiettes à la corne d'abondance, des "
    "fontaines, des pots à pharmacie et un célèbre globe céleste peint en 1725. Les œuvres les plus "
    "anciennes, attribuées à Masséot Abaquesne, datent du XVIe siècle. Le musée prête régulièrement des "
    "pièces à Zürich, à São Paulo et à Gdańsk, et sa bibliothèque est ouverte aux chercheurs le jeudi."
)

CHINESE = (
    "长江是中国最长的河流，全长约六千三百公里，发源于青藏高原的唐古拉山脉。长江流经十一个省级行政区，"
    "最后在上海注入东海。三峡大坝位于湖北省宜昌市，于二零零六年完工，是世界上装机容量最大的水电站。"
)

MIXED = (
    "東京スカイツリーは2012年に開業した電波塔で、高さは634メートルです。The tower stands in Sumida, "
    "east of the Asakusa district, and its observation decks are at 350 and 450 metres. "
    "서울의 남산타워는 1975년에 세워졌습니다. Ñandú, Ærøskøbing and Þórshöfn appear on the café's menu."
)

SHORT = "Marie Curie won the Nobel Prize in Physics in 1903 and the Nobel Prize in Chemistry in 1911."

RUNS = [
    {
        "name": "defaults",
        "options": {},
        "inputs": [
            {"question": "Who won two Nobel Prizes?", "context": SHORT},
            {"question": "When did the canal reopen to boats?", "context": LONG},
            {"question": "Où se trouve le musée de la Céramique ?", "context": FRENCH},
            {"question": "长江在哪里注入东海？", "context": CHINESE},
            {"question": "How tall is the tower?", "context": MIXED},
        ],
    },
    {
        "name": "top3-impossible",
        "options": {"top_k": 3, "handle_impossible_answer": True},
        "inputs": [
            {"question": "Who won two Nobel Prizes?", "context": SHORT},
            {"question": "Who was the engineer of the Harwick Canal?", "context": LONG},
            {"question": "Quand le globe céleste a-t-il été peint ?", "context": FRENCH},
            {"question": "三峡大坝位于哪里？", "context": CHINESE},
            # Short contexts where the null answer ranks first and third.
            {"question": "Is it raining?", "context": "No."},
            {"question": "Why?", "context": "Because."},
            # The same words in other cases: answers that differ only in case are summed.
            {"question": "Qui ?", "context": "Élodie et ÉLODIE, élodie."},
            {"question": "What is it?", "context": "Rome. ROME. Rome. rome."},
        ],
    },
    {
        # Small windows: many overlapping windows per context, windows that start inside a word.
        "name": "small-windows",
        "options": {"max_seq_len": 40, "doc_stride": 12, "top_k": 4, "max_answer_len": 6},
        "inputs": [
            {"question": "What did the first boat carry?", "context": LONG[:1400]},
            {"question": "Quelles pièces la collection réunit-elle ?", "context": FRENCH},
            {"question": "三峡大坝是什么？", "context": CHINESE},
            {"question": "Where does the tower stand?", "context": MIXED},
        ],
    },
    {
        # Windows of 3 to 5 context tokens: answers cut at a window's edge inside a word ("s", "gar nic"),
        # the null answer the least over several windows.
        "name": "tiny-windows",
        "options": {"max_seq_len": 10, "doc_stride": 1, "top_k": 6, "handle_impossible_answer": True},
        "inputs": [
            {"question": "Was ist das?", "context": "Nichts, gar nichts."},
            {"question": "Is it raining today?", "context": "No, it is not."},
        ],
    },
]


def windows_of(tokenizer, question, context, max_seq_len, doc_stride):
    """The pipeline's own tokenizer call (preprocess, fast tokenizer, question first)."""
    enc = tokenizer(text=question, text_pair=context, padding="do_not_pad", truncation="only_second",
                    max_length=max_seq_len, stride=doc_stride, return_token_type_ids=True,
                    return_overflowing_tokens=True, return_offsets_mapping=True, return_special_tokens_mask=True)
    out = []
    for i in range(len(enc["input_ids"])):
        e = enc[i]
        out.append({"input_ids": e.ids, "token_type_ids": e.type_ids, "sequence_ids": e.sequence_ids,
                    "word_ids": e.word_ids, "offsets": [list(o) for o in e.offsets], "encoding": e})
    return out


def postprocess(windows, starts, ends, context, top_k, handle_impossible_answer, max_answer_len, cls_id, stats):
    """The 4.57.6 postprocess (fast tokenizer, align_to_words) redone from the logits; also returns every
    window's ranked candidates for the margin checks. Counts in `stats` the candidates summed into an
    earlier answer and those whose span was widened to whole words."""
    min_null = 1000000.0
    answers, ranked = [], []
    pre_topk = top_k * 2 + 10
    for w, s_log, e_log in zip(windows, starts, ends):
        ids = np.array(w["input_ids"])
        allowed = np.array([sid == 1 for sid in w["sequence_ids"]]) | (ids == cls_id)
        s = np.where(allowed, s_log, np.float32(-10000.0)).astype(np.float32)
        e = np.where(allowed, e_log, np.float32(-10000.0)).astype(np.float32)
        s = np.exp(s - s.max()); s = s / s.sum()
        e = np.exp(e - e.max()); e = e / e.sum()
        if handle_impossible_answer:
            min_null = min(min_null, float(s[0] * e[0]))
        s[0] = e[0] = 0.0
        scores = np.tril(np.triu(np.outer(s, e)), max_answer_len - 1)
        cand = [(float(scores[i, j]), i, j) for i, j in zip(*np.nonzero(scores > 0))]
        cand.sort(key=lambda c: -c[0])
        ranked.append((w, cand))
        enc = w["encoding"]
        for score, i, j in cand[:pre_topk]:
            a = enc.word_to_chars(enc.token_to_word(i), sequence_index=1)[0]
            b = enc.word_to_chars(enc.token_to_word(j), sequence_index=1)[1]
            text = context[a:b]
            if (a, b) != (enc.offsets[i][0], enc.offsets[j][1]):
                stats["widened"] += 1
            same = next((x for x in answers if x["answer"].lower() == text.lower()), None)
            if same:
                stats["summed"] += 1
                stats["summed_other_case"] += same["answer"] != text
                same["score"] += score
            else:
                answers.append({"score": score, "start": a, "end": b, "answer": text})
    if handle_impossible_answer:
        answers.append({"score": min_null, "start": 0, "end": 0, "answer": ""})
    answers = sorted(answers, key=lambda x: x["score"], reverse=True)
    return answers, ranked


def rel_gap(a, b):
    return abs(a - b) / max(abs(a), abs(b))


def check_margins(label, all_answers, ranked, top_k, context, recorded=None):
    """Fails when a near-tie could change the output: the cut below the `recorded` answers (default
    top_k) and their order; each window's cut at pre_topk; and, among candidates of one window that
    give the same answer text, the order that decides whose start/end is kept."""
    pre_topk = top_k * 2 + 10
    kept = all_answers[: (recorded or top_k) + 1]
    for a, b in zip(kept, kept[1:]):
        assert rel_gap(a["score"], b["score"]) > MARGIN, f"{label}: near-tie {a} / {b}"
    shown = {a["answer"].lower() for a in kept}
    for w, cand in ranked:
        enc = w["encoding"]

        def text(i, j):
            a = enc.word_to_chars(enc.token_to_word(i), sequence_index=1)[0]
            b = enc.word_to_chars(enc.token_to_word(j), sequence_index=1)[1]
            return context[a:b].lower(), (a, b)

        if len(cand) > pre_topk:
            # Which of the two is cut off only matters when one adds to a shown answer or could be one.
            (s1, i1, j1), (s2, i2, j2) = cand[pre_topk - 1], cand[pre_topk]
            matters = {text(i1, j1)[0], text(i2, j2)[0]} & shown or max(s1, s2) >= kept[-1]["score"]
            assert not matters or rel_gap(s1, s2) > MARGIN, f"{label}: near-tie at the pre_topk cut"
        first = {}
        for score, i, j in cand[:pre_topk]:
            key, (a, b) = text(i, j)
            if key in first and first[key][1] != (a, b):
                assert rel_gap(first[key][0], score) > MARGIN, f"{label}: near-tie between two spans of {key!r}"
            first.setdefault(key, (score, (a, b)))


def dump(value, depth=0) -> str:
    """JSON with sorted keys, one key per line, but a list of numbers (or of number pairs) on one line."""
    def flat(x):
        return x is None or isinstance(x, (int, float)) or (isinstance(x, list) and all(flat(y) for y in x))

    pad, inner = " " * depth, " " * (depth + 1)
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {dump(value[k], depth + 1)}" for k in sorted(value)]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}" if items else "{}"
    if isinstance(value, list) and not flat(value):
        return "[\n" + ",\n".join(inner + dump(v, depth + 1) for v in value) + "\n" + pad + "]"
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def main() -> None:
    torch.set_num_threads(1)
    model, tokenizer = minilm_with_head("BertForQuestionAnswering", seed=SEED, initializer_range=INIT_RANGE)
    save_head(model, HEAD_FIXTURES / "question-answering")
    assert tokenizer.is_fast and tokenizer.padding_side == "right"  # the pipeline's question-first path
    qa = transformers.pipeline("question-answering", model=model, tokenizer=tokenizer, device="cpu")

    captured = []
    model.register_forward_hook(lambda m, args, kwargs, out: captured.append(
        (kwargs["input_ids"][0].tolist(), out.start_logits[0].numpy().copy(), out.end_logits[0].numpy().copy())),
        with_kwargs=True)

    runs = []
    stats = {"windows": 0, "summed": 0, "summed_other_case": 0, "widened": 0}
    for run in RUNS:
        opts = run["options"]
        max_seq_len = opts.get("max_seq_len", min(tokenizer.model_max_length, 384))
        doc_stride = opts.get("doc_stride", min(max_seq_len // 2, 128))
        top_k = opts.get("top_k", 1)
        cases = []
        for n, inp in enumerate(run["inputs"]):
            captured.clear()
            with torch.no_grad():
                out = qa(question=inp["question"], context=inp["context"], **opts)
            windows = windows_of(tokenizer, inp["question"], inp["context"], max_seq_len, doc_stride)
            assert [c[0] for c in captured] == [w["input_ids"] for w in windows], "the pipeline ran other windows"
            answers, ranked = postprocess(windows, [c[1] for c in captured], [c[2] for c in captured], inp["context"],
                                          top_k, opts.get("handle_impossible_answer", False),
                                          opts.get("max_answer_len", 15), tokenizer.cls_token_id, stats)
            mine = answers[:top_k]
            mine = mine[0] if len(mine) == 1 else mine
            assert mine == out, f"{run['name']} {n}: the re-done postprocess gives {mine}, the pipeline {out}"
            check_margins(f"{run['name']} input {n}", answers, ranked, top_k, inp["context"])
            stats["windows"] += len(windows)
            for r in (out if isinstance(out, list) else [out]):
                if r["answer"] and len(inp["context"][r["start"]:r["end"]]) != len(r["answer"]):
                    raise AssertionError("answer is not context[start:end]")
            cases.append({
                "question": inp["question"], "context": inp["context"], "output": out,
                "windows": [{k: w[k] for k in ("input_ids", "token_type_ids", "word_ids", "offsets")} for w in windows],
            })
        runs.append({"name": run["name"], "options": opts,
                     "resolved": {"max_seq_len": max_seq_len, "doc_stride": doc_stride, "top_k": top_k,
                                  "max_answer_len": opts.get("max_answer_len", 15),
                                  "handle_impossible_answer": opts.get("handle_impossible_answer", False)},
                     "cases": cases})

    doc = {
        "what": "transformers QuestionAnsweringPipeline outputs, one input per call (see golden/README.md)",
        "model": "golden/fixtures/minilm-heads/question-answering (MiniLM + qa_outputs)",
        "head": {"class": "BertForQuestionAnswering", "seed": SEED, "initializer_range": INIT_RANGE},
        "versions": {"transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
                     "torch": torch.__version__, "numpy": np.__version__},
        "margin": MARGIN,
        "runs": runs,
    }
    write_text(OUT, dump(doc) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}: {sum(len(r['cases']) for r in runs)} inputs, {stats['windows']} windows; "
          f"{stats['summed']} candidates summed into an earlier answer "
          f"({stats['summed_other_case']} of another case), {stats['widened']} widened to whole words")


if __name__ == "__main__":
    main()
