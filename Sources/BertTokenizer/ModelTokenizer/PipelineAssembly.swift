import BertFormats

// transformers' fast-tokenizer call for a pipeline: tokenizers' `encode_single_sequence` per text,
// then `TokenizerImpl::post_process` (tokenizer/mod.rs): truncation with the max length less the
// post-processor's `added_tokens(is_pair)` (utils/truncation.rs, the same rule as BERT's `.rust`),
// the post-processor, then padding (utils/padding.rs: pad id, type id 0, attention 0, offsets
// (0, 0), special-tokens mask 1, no word).

/// One text's tokens, cut from either end by truncation.
struct OutRun: TruncatableRun {
    var tokens: [OutToken]
    var count: Int { tokens.count }
    mutating func drop(_ n: Int, side: String) {
        let n = min(n, count)
        guard n > 0 else { return }
        if side == "left" { tokens.removeFirst(n) } else { tokens.removeLast(n) }
    }
}

extension PipelineTokenizer {
    /// The tokens the post-processor adds around one text or a pair (`added_tokens(is_pair)`).
    func specialTokenCount(pair: Bool) -> Int {
        let empty: [[OutToken]] = pair ? [[], []] : [[]]
        return (postProcessor?.process(empty, addSpecialTokens: true) ?? empty).reduce(0) { $0 + $1.count }
    }

    /// The cls and sep tokens the post-processor puts around one text (the first and last of its
    /// single template), for a tokenizer whose config names none it has.
    var postProcessorSpecials: (cls: String?, sep: String?) {
        let single = postProcessor?.process([[]], addSpecialTokens: true).flatMap { $0 } ?? []
        return (single.first?.value, single.count > 1 ? single.last?.value : nil)
    }

    /// The model's unknown token, if it has one.
    var unkToken: String? { model.unkId.flatMap { token(of: Int($0)) } }

    func assemble(_ input: TextInput, _ index: Int, _ plan: EncodingPlan) throws -> Encoding {
        var a = OutRun(tokens: try encodeSequence(input.text, typeId: 0))
        var b = try input.pair.map { OutRun(tokens: try encodeSequence($0, typeId: 1)) }
        if let max = plan.truncationLength {
            let special = plan.addSpecialTokens ? specialTokenCount(pair: b != nil) : 0
            if let why = truncate(&a, &b, maxLength: max, special: special, strategy: plan.truncation,
                                  rule: plan.truncationRule, side: plan.truncationSide) {
                throw TokenizerError.cannotTruncate(input: index, maxLength: max, strategy: plan.truncation, why: why)
            }
        }
        let sequences = b.map { [a.tokens, $0.tokens] } ?? [a.tokens]
        let parts = postProcessor?.process(sequences, addSpecialTokens: plan.addSpecialTokens) ?? sequences
        let n = parts.reduce(0) { $0 + $1.count }
        var e = Encoding(inputIds: [], tokenTypeIds: [], attentionMask: [Int](repeating: 1, count: n), tokens: [], offsets: [])
        e.inputIds.reserveCapacity(n)
        e.tokenTypeIds.reserveCapacity(n)
        e.tokens.reserveCapacity(n)
        e.offsets.reserveCapacity(n)
        e.wordIds.reserveCapacity(n)
        e.sequenceIds.reserveCapacity(n)
        e.specialTokensMask.reserveCapacity(n)
        for part in parts {
            for t in part {
                e.inputIds.append(Int(t.id))
                e.tokenTypeIds.append(Int(t.typeId))
                e.tokens.append(t.value)
                e.offsets.append(t.start..<t.end)
                e.wordIds.append(t.word < 0 ? nil : Int(t.word))
                e.sequenceIds.append(t.sequence < 0 ? nil : Int(t.sequence))
                e.specialTokensMask.append(t.sequence < 0 ? 1 : 0)
            }
        }
        return e
    }

    func pad(_ e: inout Encoding, to length: Int, id: Int, token: String, left: Bool) {
        let n = length - e.count
        guard n > 0 else { return }
        func put<T>(_ a: inout [T], _ v: T) { left ? a.insert(contentsOf: repeatElement(v, count: n), at: 0) : a.append(contentsOf: repeatElement(v, count: n)) }
        put(&e.inputIds, id)
        put(&e.tokenTypeIds, 0)
        put(&e.attentionMask, 0)
        put(&e.tokens, token)
        put(&e.offsets, 0..<0)
        put(&e.wordIds, nil)
        put(&e.sequenceIds, nil)
        put(&e.specialTokensMask, 1)
    }
}
