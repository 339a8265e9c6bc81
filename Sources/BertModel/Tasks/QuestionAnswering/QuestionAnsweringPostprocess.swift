import BertFormats
import Foundation

// transformers' examples/pytorch/question-answering/utils_qa.py, postprocess_qa_predictions, re-derived
// from its documented behaviour (REFERENCES §7), for one example over all its windows:
// - each window's null score is start[0] + end[0]; the example's is the least over its windows;
// - the n_best (20) largest start logits × the n_best largest end logits of each window; a pair is kept
//   when both are context tokens (run_qa's prepare_validation_features sets every other offset to None,
//   [CLS] included), end >= start and end - start + 1 <= max_answer_length (30); score = start + end
//   logit (float32), text = the context's code points from the start token's offset start to the end
//   token's offset end (raw offsets, not widened to words);
// - v2 adds the null prediction (text "", the least null score) before sorting, and after the cut to
//   n_best again if it fell out;
// - the candidates are sorted by score (stable: windows in order, then start then end rank) and cut to
//   n_best; with none, or only the null one, "empty" with score 0 is put first;
// - probabilities: softmax of the scores (float32);
// - v1: the answer is the best candidate's text. v2: score_diff = null score − (the best non-empty
//   candidate's start + end logit); the answer is "" when score_diff > null_score_diff_threshold, else
//   that candidate's text.
// bertkit's windows are unpadded (run_qa with `--pad_to_max_length False`): the n_best largest logits are
// taken over the window's own positions, where run_qa's also range over the padding of the batch.
// numpy's argsort leaves the order of equal logits open; here the later position of two equal ones
// ranks first (a stable ascending sort, reversed, as run_qa's [-1 : -n_best - 1 : -1] slice reads it).

/// postprocess_qa_predictions' parameters, with run_qa's defaults.
public struct QuestionAnsweringPostprocessing: Sendable, Equatable {
    public var nBest: Int
    public var maxAnswerLength: Int
    /// SQuAD v2: offer the null answer (run_qa's `--version_2_with_negative`).
    public var versionTwo: Bool
    public var nullScoreDiffThreshold: Float

    public init(nBest: Int = 20, maxAnswerLength: Int = 30, versionTwo: Bool = false, nullScoreDiffThreshold: Float = 0) {
        self.nBest = nBest
        self.maxAnswerLength = maxAnswerLength
        self.versionTwo = versionTwo
        self.nullScoreDiffThreshold = nullScoreDiffThreshold
    }
}

/// One n-best candidate, as run_qa writes it to nbest_predictions.json.
public struct QuestionAnsweringCandidate: Sendable, Equatable {
    public var text: String
    public var startLogit: Float
    public var endLogit: Float
    public var probability: Float
    /// Code points of the context; 0..<0 for the null answer and "empty".
    public var characters: Range<Int>
}

/// The answer to one example.
public struct QuestionAnsweringPrediction: Sendable, Equatable {
    public var id: String
    public var text: String
    /// The candidates, best first.
    public var candidates: [QuestionAnsweringCandidate]
    /// v2: the null score minus the best non-empty candidate's score, and that candidate's text.
    public var nullScoreDiff: Float?
    public var bestNonNull: String?
}

extension QuestionAnsweringPostprocessing {
    /// The prediction for `example` from its windows' start and end logits (each at the window's length).
    public func predict(_ example: SQuADExample, windows: [QuestionAnsweringWindow],
                        logits: [(start: [Float], end: [Float])]) -> QuestionAnsweringPrediction {
        precondition(windows.count == logits.count && !windows.isEmpty)
        struct Prelim {
            var score: Float, start: Float, end: Float, chars: Range<Int>
        }
        var prelim: [Prelim] = []
        var null: Prelim?
        for (w, l) in zip(windows, logits) {
            let feature = l.start[0] + l.end[0]
            if null == nil || null!.score > feature { null = Prelim(score: feature, start: l.start[0], end: l.end[0], chars: 0..<0) }
            for s in Self.largest(l.start, nBest) {
                for e in Self.largest(l.end, nBest) {
                    guard w.context.contains(s), w.context.contains(e), e >= s, e - s + 1 <= maxAnswerLength else { continue }
                    prelim.append(Prelim(score: l.start[s] + l.end[e], start: l.start[s], end: l.end[e],
                                         chars: w.offsets[s].lowerBound..<w.offsets[e].upperBound))
                }
            }
        }
        if versionTwo { prelim.append(null!) }
        // Python's sorted(reverse=True) is stable.
        var kept = prelim.indices.sorted { prelim[$0].score != prelim[$1].score ? prelim[$0].score > prelim[$1].score : $0 < $1 }
            .prefix(nBest).map { prelim[$0] }
        if versionTwo, !kept.contains(where: { $0.chars == 0..<0 }) { kept.append(null!) }
        let context = Array(example.context.unicodeScalars)
        func text(_ r: Range<Int>) -> String {
            // Python slicing clamps; offsets always lie within the context.
            String(String.UnicodeScalarView(context[min(r.lowerBound, context.count)..<min(max(r.lowerBound, r.upperBound), context.count)]))
        }
        var candidates = kept.map {
            QuestionAnsweringCandidate(text: text($0.chars), startLogit: $0.start, endLogit: $0.end, probability: 0, characters: $0.chars)
        }
        var scores = kept.map(\.score)
        if candidates.isEmpty || (candidates.count == 1 && candidates[0].text.isEmpty) {
            candidates.insert(QuestionAnsweringCandidate(text: "empty", startLogit: 0, endLogit: 0, probability: 0, characters: 0..<0), at: 0)
            scores.insert(0, at: 0)
        }
        let m = scores.max()!
        let exps = scores.map { expf($0 - m) }
        let sum = exps.reduce(0, +)
        for i in candidates.indices { candidates[i].probability = exps[i] / sum }
        guard versionTwo else { return QuestionAnsweringPrediction(id: example.id, text: candidates[0].text, candidates: candidates) }
        // "empty" is non-empty text, so there is always one.
        let best = candidates.first { !$0.text.isEmpty }!
        let diff = null!.score - best.startLogit - best.endLogit
        return QuestionAnsweringPrediction(id: example.id, text: diff > nullScoreDiffThreshold ? "" : best.text, candidates: candidates,
                                           nullScoreDiff: diff, bestNonNull: best.text)
    }

    /// np.argsort(x)[-1 : -n - 1 : -1]: the positions of the n largest values, largest first; of equal
    /// values the later position first.
    static func largest(_ x: [Float], _ n: Int) -> [Int] {
        Array(x.indices.sorted { x[$0] != x[$1] ? x[$0] > x[$1] : $0 > $1 }.prefix(n))
    }
}
