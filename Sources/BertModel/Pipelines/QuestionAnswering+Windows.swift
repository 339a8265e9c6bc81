import BertTokenizer

// The windows of transformers' QA preprocess, built from the question's and the context's tokens as the
// fast tokenizer builds them (tokenizers: utils/truncation.rs truncate_encodings with OnlySecond, then
// Encoding::truncate with a stride, then the [CLS] A [SEP] B [SEP] template on every overflow):
// - A pair that fits in max_seq_len is one window.
// - Otherwise each window holds n = max_seq_len - 3 - question tokens context tokens, starting at
//   context token 0, n - doc_stride, 2(n - doc_stride), ..., the last one ending at the context's end.
//   n <= 0 is the tokenizer's "Sequence to truncate too short" error; doc_stride >= n its panic
//   ("`stride` must be strictly less than `max_len`").
// Word ids are the fast tokenizer's: the index of the pre-tokenizer's split (BertPreTokenizer: runs
// split at whitespace and at each punctuation character, and each CJK ideograph on its own) within its
// own text. WordPiece marks every piece after a word's first with "##", so a token without the prefix
// starts the next word; with basic tokenization no word's first piece can start with "##", since '#' is
// punctuation and a word of its own.

/// One model input: [CLS] question [SEP] a slice of the context [SEP], with what the fast tokenizer's
/// encoding of that window carries.
public struct QuestionAnsweringWindow: Sendable, Equatable {
    public let inputIds: [Int]
    public let tokenTypeIds: [Int]
    /// Each token's word within its own text; nil for [CLS] and [SEP] (transformers' `word_ids()`).
    public let wordIds: [Int?]
    /// Code-point spans in the token's own text; `0..<0` for [CLS] and [SEP].
    public let offsets: [Range<Int>]
    /// Positions of the context's tokens.
    public let context: Range<Int>
}

extension QuestionAnswering {
    /// The windows the pipeline runs for `input` (`index` names it in errors).
    public func windows(_ input: QuestionContext, index: Int = 0) throws -> [QuestionAnsweringWindow] {
        try Self.windows(input, tokenizer: tokenizer, maxSeqLen: maxSeqLen, docStride: docStride, index: index)
    }

    /// The fast tokenizer's `(question, context, truncation="only_second", max_length=maxSeqLen,
    /// stride=docStride, return_overflowing_tokens=True)`, unpadded: the pipeline's windows, and
    /// run_qa's features.
    public static func windows(_ input: QuestionContext, tokenizer: BertTokenizer, maxSeqLen: Int, docStride: Int,
                               index: Int = 0) throws -> [QuestionAnsweringWindow] {
        func fail(_ p: QuestionAnsweringInputError.Problem) -> QuestionAnsweringInputError {
            QuestionAnsweringInputError(index: index, problem: p)
        }
        // The pipeline's argument handler refuses empty strings.
        guard !input.question.isEmpty else { throw fail(.emptyQuestion) }
        guard !input.context.isEmpty else { throw fail(.emptyContext) }
        let q = tokenizer.tokenize(input.question), c = tokenizer.tokenize(input.context)
        guard !c.ids.isEmpty else { throw fail(.contextHasNoTokens) }
        let slices: [Range<Int>]
        if q.ids.count + c.ids.count + 3 <= maxSeqLen {
            slices = [0..<c.ids.count]
        } else {
            let n = maxSeqLen - 3 - q.ids.count
            guard n > 0 else { throw fail(.noRoomForContext(questionTokens: q.ids.count, maxSeqLen: maxSeqLen)) }
            guard docStride < n else { throw fail(.strideNotBelowWindow(docStride: docStride, contextPerWindow: n)) }
            slices = Self.slices(count: c.ids.count, length: n, stride: docStride)
        }
        let qWords = words(q.ids, tokenizer), cWords = words(c.ids, tokenizer)
        let cls = tokenizer.clsTokenId, sep = tokenizer.sepTokenId
        let none = 0..<0
        return slices.map { s in
            let head = q.ids.count + 2
            return QuestionAnsweringWindow(
                inputIds: [cls] + q.ids + [sep] + c.ids[s] + [sep],
                tokenTypeIds: [Int](repeating: 0, count: head) + [Int](repeating: 1, count: s.count + 1),
                wordIds: [nil] + qWords.map { $0 } + [nil] + cWords[s].map { $0 } + [nil],
                offsets: [none] + q.offsets + [none] + c.offsets[s] + [none],
                context: head..<head + s.count)
        }
    }

    /// Encoding::truncate's parts: `length` tokens from 0, `length - stride` apart, until one reaches
    /// `count`. Needs 0 <= stride < length.
    static func slices(count: Int, length: Int, stride: Int) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var start = 0
        while true {
            let stop = min(start + length, count)
            out.append(start..<stop)
            if stop == count { return out }
            start += length - stride
        }
    }

    /// The word of each token: a new word at every token without WordPiece's "##".
    static func words(_ ids: [Int], _ tokenizer: BertTokenizer) -> [Int] {
        var word = -1
        return ids.map { id in
            if word < 0 || !tokenizer.token(of: id).hasPrefix("##") { word += 1 }
            return word
        }
    }
}
