import Foundation

// transformers 4.57.6 pipelines/question_answering.py, postprocess (fast tokenizer, align_to_words):
// - select_starts_ends: every position that is neither a context token nor position 0 gets logit
//   -10000 (not -inf); start and end are each softmaxed over the window (float32); the null score is
//   p_start[0] · p_end[0]; then position 0 is zeroed.
// - decode_spans: score(s, e) = p_start[s] · p_end[e] for s <= e < s + max_answer_len; the best
//   top_k * 2 + 10 of each window are kept (more than top_k, since several spans can widen to the
//   same answer). So top_k is an input: a larger one can add a span to an answer's sum and reorder
//   the answers.
// - get_indices: a span is widened to whole words, token_to_word then word_to_chars within the window.
// - get_answer: a span whose text equals an earlier answer's (case-insensitive) adds its score to that
//   answer, which keeps its own start and end; windows in order, spans best first.
// - With handle_impossible_answer the empty answer {0, 0, ""} is added with the least null score over
//   the windows; then the answers are sorted by score (stable) and cut to top_k.
// The pipeline ranks every cell of its start × end matrix, zeros included: when a window has fewer
// positive-score spans than it keeps, it adds zero-score cells in numpy's arbitrary order (spans
// ending before they start, or starting in the question). bertkit keeps only positive scores, so it
// returns fewer answers where the pipeline pads with such zero-score ones. Equal scores are ranked by
// position here; numpy leaves their order open.

/// One span of a window: token positions `start...end`.
struct ScoredSpan: Equatable {
    let score: Float
    let start: Int
    let end: Int
}

extension QuestionAnswering {
    /// The best `keep` spans of one window, best first, and its null score.
    static func spans(start: [Float], end: [Float], context: Range<Int>, maxAnswerLen: Int, keep: Int)
        -> (spans: [ScoredSpan], null: Float)
    {
        var ps = probabilities(start, context: context), pe = probabilities(end, context: context)
        let null = ps[0] * pe[0]
        ps[0] = 0
        pe[0] = 0
        var spans: [ScoredSpan] = []
        spans.reserveCapacity(context.count * min(maxAnswerLen, context.count))
        for s in context {
            for e in s..<min(s + maxAnswerLen, context.upperBound) {
                let score = ps[s] * pe[e]
                if score > 0 { spans.append(ScoredSpan(score: score, start: s, end: e)) }
            }
        }
        spans.sort { $0.score != $1.score ? $0.score > $1.score : ($0.start, $0.end) < ($1.start, $1.end) }
        return (Array(spans.prefix(keep)), null)
    }

    /// Softmax over the window with everything outside the context and position 0 at -10000, in
    /// float32 as numpy does it.
    static func probabilities(_ logits: [Float], context: Range<Int>) -> [Float] {
        var x = logits.indices.map { $0 == 0 || context.contains($0) ? logits[$0] : -10000 }
        let m = x.max()!
        for i in x.indices { x[i] = expf(x[i] - m) }
        let sum = x.reduce(0, +)
        return x.map { $0 / sum }
    }

    /// The code-point span of `span` widened to whole words of the window.
    static func characters(_ span: ScoredSpan, in w: QuestionAnsweringWindow) -> Range<Int> {
        var first = span.start, last = span.end
        while first > w.context.lowerBound, w.wordIds[first - 1] == w.wordIds[span.start] { first -= 1 }
        while last + 1 < w.context.upperBound, w.wordIds[last + 1] == w.wordIds[span.end] { last += 1 }
        return w.offsets[first].lowerBound..<w.offsets[last].upperBound
    }

    /// Python's `str.lower()`: full lowercase mappings, and capital sigma as final sigma at the end of a
    /// word (preceded by a cased letter, not followed by one, case-ignorable ones skipped), which Swift's
    /// `lowercased()` does not do.
    static func pythonLowercased(_ s: String.UnicodeScalarView) -> [Unicode.Scalar] {
        let a = Array(s)
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(a.count)
        for (i, c) in a.enumerated() {
            guard c == "\u{03A3}" else {
                out += c.properties.lowercaseMapping.unicodeScalars
                continue
            }
            let before = a[..<i].last { !$0.properties.isCaseIgnorable }
            let after = a[(i + 1)...].first { !$0.properties.isCaseIgnorable }
            let final = before?.properties.isCased == true && after?.properties.isCased != true
            out.append(final ? "\u{03C2}" : "\u{03C3}")
        }
        return out
    }

    /// postprocess for one input: its windows' logits to its best `top_k` answers.
    func answers(context: String, windows: [QuestionAnsweringWindow],
                 logits: ArraySlice<(start: [Float], end: [Float])>) -> [Answer] {
        let text = Array(context.unicodeScalars)
        // By lowercased code points: Swift's String == would equate canonically equivalent texts.
        var answers: [Answer] = [], index: [[Unicode.Scalar]: Int] = [:]
        var minNull = 1_000_000.0
        for (w, l) in zip(windows, logits) {
            let (spans, null) = Self.spans(start: l.start, end: l.end, context: w.context,
                                           maxAnswerLen: options.maxAnswerLen, keep: options.topK * 2 + 10)
            minNull = min(minNull, Double(null))
            for span in spans {
                let chars = Self.characters(span, in: w)
                var answer = String.UnicodeScalarView()
                answer.append(contentsOf: text[chars])
                let key = Self.pythonLowercased(answer)
                if let k = index[key] {
                    answers[k].score += Double(span.score)
                } else {
                    index[key] = answers.count
                    answers.append(Answer(score: Double(span.score), start: chars.lowerBound, end: chars.upperBound,
                                          answer: String(answer)))
                }
            }
        }
        if options.handleImpossibleAnswer { answers.append(Answer(score: minNull, start: 0, end: 0, answer: "")) }
        // Python's sorted is stable: equal scores keep their order.
        let ranked = answers.indices.sorted { answers[$0].score != answers[$1].score ? answers[$0].score > answers[$1].score : $0 < $1 }
        return ranked.prefix(options.topK).map { answers[$0] }
    }
}
