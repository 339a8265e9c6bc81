"""bertkit's MLM masking (Sources/BertModel/Tasks/MaskedLM/MaskedLMMasking.swift), draw for draw.

bertkit keys each row's masks by (seed, a, b) with SplitMix64 instead of torch's generator; this
module makes the same draws so a golden can record the exact masked batch bertkit builds and
transformers' loss on it. The Swift tests check that bertkit's batch equals the recorded one
bit for bit, so this mirror cannot drift unnoticed.
"""

M64 = (1 << 64) - 1
IGNORE = -100


class SplitMix64:
    def __init__(self, seed: int):
        self.state = seed & M64

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & M64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)


class MaskingStream(SplitMix64):
    def __init__(self, seed: int, a: int, b: int):
        s = SplitMix64(seed)
        t = SplitMix64(s.next() ^ (a & M64))
        super().__init__(t.next() ^ (b & M64))

    def uniform(self) -> float:
        return (self.next() >> 11) * 2.0**-53

    def below(self, n: int) -> int:
        return self.next() % n

    def shuffle(self, a: list) -> None:
        for i in range(len(a) - 1, 0, -1):
            j = self.below(i + 1)
            a[i], a[j] = a[j], a[i]


def mask_row(ids, tok, seed, a, b, probability=0.15, mask_replace=0.8, random_replace=0.1, whole_word=False):
    """(input_ids, labels) of one unpadded row, as bertkit masks it."""
    rng = MaskingStream(seed, a, b)
    special = set(tok.all_special_ids)
    if whole_word:
        excluded = {tok.cls_token_id, tok.sep_token_id}
        tokens = tok.convert_ids_to_tokens(ids)
        words = []
        for i, (t, id_) in enumerate(zip(tokens, ids)):
            if id_ in excluded:
                continue
            if words and t.startswith("##"):
                words[-1].append(i)
            else:
                words.append([i])
        rng.shuffle(words)
        budget = min(512, max(1, round(len(ids) * probability)))
        chosen, count = [False] * len(ids), 0
        for w in words:
            if count >= budget:
                break
            if count + len(w) > budget:
                continue
            for i in w:
                chosen[i] = True
            count += len(w)
    else:
        chosen = [rng.uniform() < probability and id_ not in special for id_ in ids]
    inputs, labels = list(ids), [IGNORE] * len(ids)
    random = random_replace / (1 - mask_replace) if mask_replace < 1 else 0.0
    for i, id_ in enumerate(ids):
        if not chosen[i] or id_ in special:
            continue
        labels[i] = id_
        if rng.uniform() < mask_replace:
            inputs[i] = tok.mask_token_id
        elif rng.uniform() < random:
            inputs[i] = rng.below(len(tok))
    return inputs, labels
