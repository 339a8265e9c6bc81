import BertTokenizer

// The windows of transformers' QA preprocess, built from the question's and the context's tokens as the
// fast tokenizer builds them (tokenizers: utils/truncation.rs truncate_encodings with OnlySecond, then
// Encoding::truncate with a stride, then the post-processor on every overflow: [CLS] A [SEP] B [SEP],
// or RoBERTa's / XLM-R's <s> A </s></s> B </s>):
// - A pair that fits in max_seq_len is one window.
// - Otherwise each window holds n = max_seq_len - (the pair's special tokens) - question tokens
//   context tokens, starting at
//   context token 0, n - doc_stride, 2(n - doc_stride), ..., the last one ending at the context's end.
//   n <= 0 is the tokenizer's "Sequence to truncate too short" error; doc_stride >= n its panic
//   ("`stride` must be strictly less than `max_len`").
// Word ids are the fast tokenizer's: the index of the pre-tokenizer's split (BertPreTokenizer: runs
// split at whitespace and at each punctuation character, and each CJK ideograph on its own) within its
// own text. WordPiece marks every piece after a word's first with "##", so a token without the prefix
// starts the next word; with basic tokenization no word's first piece can start with "##", since '#' is
// punctuation and a word of its own. A pipeline tokenizer's word ids are its pre-tokenizer's splits.

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
    public static func windows(_ input: QuestionContext, tokenizer: ModelTokenizer, maxSeqLen: Int, docStride: Int,
                               index: Int = 0) throws -> [QuestionAnsweringWindow] {
        func fail(_ p: QuestionAnsweringInputError.Problem) -> QuestionAnsweringInputError {
            QuestionAnsweringInputError(index: index, problem: p)
        }
        // The pipeline's argument handler refuses empty strings.
        guard !input.question.isEmpty else { throw fail(.emptyQuestion) }
        guard !input.context.isEmpty else { throw fail(.emptyContext) }
        let q = try tokenizer.textTokens(input.question), c = try tokenizer.textTokens(input.context)
        guard !c.ids.isEmpty else { throw fail(.contextHasNoTokens) }
        // The post-processor's tokens around the pair: [CLS] q [SEP] c [SEP] (3), <s> q </s></s> c </s> (4).
        let special = tokenizer.specialTokenCount(pair: true)
        let slices: [Range<Int>]
        if q.count + c.count + special <= maxSeqLen {
            slices = [0..<c.count]
        } else {
            let n = maxSeqLen - special - q.count
            guard n > 0 else { throw fail(.noRoomForContext(questionTokens: q.count, maxSeqLen: maxSeqLen)) }
            guard docStride < n else { throw fail(.strideNotBelowWindow(docStride: docStride, contextPerWindow: n)) }
            slices = Self.slices(count: c.count, length: n, stride: docStride)
        }
        return slices.map { s in
            let e = tokenizer.withSpecialTokens(q, c[s])
            let first = e.sequenceIds.firstIndex(of: 1)!
            return QuestionAnsweringWindow(inputIds: e.inputIds, tokenTypeIds: e.tokenTypeIds, wordIds: e.wordIds, offsets: e.offsets,
                                           context: first..<first + s.count)
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
}
