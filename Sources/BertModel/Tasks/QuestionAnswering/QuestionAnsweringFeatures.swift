import BertFormats
import BertTokenizer

// transformers' examples/pytorch/question-answering/run_qa.py, prepare_train_features (re-derived from
// its documented behaviour, REFERENCES §7):
// - the question is lstripped ("some questions have lots of whitespace on the left");
// - tokenizer(question, context, truncation="only_second", max_length=max_seq_length (384),
//   stride=doc_stride (128), return_overflowing_tokens=True, return_offsets_mapping=True): the
//   pipeline's windows (QuestionAnswering+Windows.swift);
// - the first answer of the example is the target: start_char = answer_start, end_char = start_char +
//   len(text); no answer (SQuAD v2) → start = end = the [CLS] index (0);
// - a window whose context does not cover [start_char, end_char) → [CLS];
// - otherwise the start is the last token, walking up from the window's first context token, whose
//   offset starts at or before start_char, and the end the first token, walking down from the last
//   context token, whose offset does not end at or after end_char, plus one.
// The walk up is run_qa's to the letter: it does not stop at the context's end, so an answer that starts
// at a window's last context token lands on the position after the walk passes the closing [SEP] and
// any padding (run_qa's "edge case" comment). bertkit's features are unpadded, as run_qa's with
// `--pad_to_max_length False`, so that position is the window's final [SEP].

/// One training or evaluation window of an example, with run_qa's target positions.
public struct QuestionAnsweringFeature: Sendable, Equatable {
    public let window: QuestionAnsweringWindow
    /// The example's index in the dataset (run_qa's `overflow_to_sample_mapping`).
    public let example: Int
    public let startPosition: Int
    public let endPosition: Int
}

/// run_qa's window parameters, with its defaults.
public struct QuestionAnsweringFeatureOptions: Sendable, Equatable {
    public var maxSeqLength: Int
    public var docStride: Int
    public init(maxSeqLength: Int = 384, docStride: Int = 128) {
        self.maxSeqLength = maxSeqLength
        self.docStride = docStride
    }
}

public enum QuestionAnsweringFeatures {
    /// The features of every example, in order. An example the tokenizer cannot window (a question too
    /// long for `maxSeqLength`, a stride not below the context a window holds) is an error naming it.
    public static func make(_ examples: [SQuADExample], tokenizer: ModelTokenizer,
                            options: QuestionAnsweringFeatureOptions = .init()) throws -> [QuestionAnsweringFeature] {
        var out: [QuestionAnsweringFeature] = []
        for (n, e) in examples.enumerated() {
            let windows: [QuestionAnsweringWindow]
            do {
                windows = try QuestionAnswering.windows(QuestionContext(question: lstripped(e.question), context: e.context),
                                                        tokenizer: tokenizer, maxSeqLen: options.maxSeqLength,
                                                        docStride: options.docStride, index: n)
            } catch var error as QuestionAnsweringInputError {
                error.location = e.location.isEmpty ? "example \(e.id)" : "\(e.location) (id \(e.id))"
                throw error
            }
            for w in windows {
                let (s, t) = positions(w, answer: e.answers.first)
                out.append(QuestionAnsweringFeature(window: w, example: n, startPosition: s, endPosition: t))
            }
        }
        return out
    }

    /// run_qa's start and end token positions of `answer` in `w`; (0, 0) for none or outside.
    public static func positions(_ w: QuestionAnsweringWindow, answer: SQuADAnswer?) -> (start: Int, end: Int) {
        guard let answer else { return (0, 0) }
        let startChar = answer.start, endChar = answer.start + answer.text.unicodeScalars.count
        let first = w.context.lowerBound, last = w.context.upperBound - 1, o = w.offsets
        guard o[first].lowerBound <= startChar, o[last].upperBound >= endChar else { return (0, 0) }
        var s = first
        while s < o.count, o[s].lowerBound <= startChar { s += 1 }
        var t = last
        while o[t].upperBound >= endChar { t -= 1 }
        return (s - 1, t + 1)
    }

    /// Python's `str.lstrip()`: leading characters for which `isspace()` is true (Unicode White_Space,
    /// and the separators U+001C...U+001F).
    static func lstripped(_ s: String) -> String {
        let u = s.unicodeScalars
        let i = u.firstIndex { !($0.properties.isWhitespace || (0x1C...0x1F).contains($0.value)) } ?? u.endIndex
        return String(u[i...])
    }
}
