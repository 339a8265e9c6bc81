import BertFormats

/// A batch of token ids as transformers' BERT takes it: `[batch, seq]` input_ids, token_type_ids
/// and attention_mask (1 = real token, 0 = padding), flattened row by row.
public struct BertInput: Sendable, Equatable {
    public let batch: Int
    public let seq: Int
    public let inputIds: [Int32]
    public let tokenTypeIds: [Int32]
    public let attentionMask: [UInt8]
    /// [batch, seq] the position-table row of each token, as the family's embeddings compute it
    /// (`EmbeddingsLayout.Positions`): 0..<seq for BERT, from the padding id on for RoBERTa.
    public let positionIds: [Int32]
    /// Tokens at the start of every row ([CLS] and a sentence-transformers prompt) that sentence
    /// pooling leaves out when the Pooling module has include_prompt false.
    public var promptLength = 0

    /// Checks sizes and that every id, type and mask value is usable by `config`; errors name the
    /// row and position.
    public init(batch: Int, seq: Int, inputIds: [Int], tokenTypeIds: [Int]? = nil, attentionMask: [Int]? = nil,
                config: BertConfig) throws {
        guard batch > 0, seq > 0 else { throw ModelError.emptyBatch }
        let n = batch * seq
        let types = tokenTypeIds ?? [Int](repeating: 0, count: n)
        let mask = attentionMask ?? [Int](repeating: 1, count: n)
        for (name, a) in [("input_ids", inputIds), ("token_type_ids", types), ("attention_mask", mask)] where a.count != n {
            throw ModelError.inputSizeMismatch(name: name, count: a.count, expected: n)
        }
        guard seq <= config.maxSequenceLength else { throw ModelError.sequenceTooLong(config, length: seq) }
        for i in 0..<n {
            let (r, p) = i.quotientAndRemainder(dividingBy: seq)
            guard inputIds[i] >= 0, inputIds[i] < config.vocabSize else {
                throw ModelError.tokenIdOutOfRange(row: r, position: p, id: inputIds[i], vocabSize: config.vocabSize)
            }
            guard types[i] >= 0, types[i] < config.typeVocabSize else {
                throw ModelError.tokenTypeOutOfRange(row: r, position: p, type: types[i], typeVocabSize: config.typeVocabSize)
            }
            guard mask[i] == 0 || mask[i] == 1 else { throw ModelError.badMaskValue(row: r, position: p, value: mask[i]) }
        }
        self.batch = batch
        self.seq = seq
        self.inputIds = inputIds.map { Int32($0) }
        self.tokenTypeIds = types.map { Int32($0) }
        self.attentionMask = mask.map { UInt8($0) }
        self.positionIds = Self.positions(ids: self.inputIds, batch: batch, seq: seq, config: config)
    }

    /// The position ids transformers computes. RoBERTa (modeling_roberta.py,
    /// `create_position_ids_from_input_ids`): `cumsum(ids != pad) · (ids != pad) + pad`, so the k-th
    /// non-padding token of a row reads row pad + k and every padding token row pad.
    static func positions(ids: [Int32], batch: Int, seq: Int, config c: BertConfig) -> [Int32] {
        switch c.family.embeddings.positions {
        case .absolute:
            return (0..<batch * seq).map { Int32($0 % seq) }
        case .fromPaddingMask:
            let pad = Int32(c.padTokenId)
            var out = [Int32](repeating: pad, count: batch * seq)
            for b in 0..<batch {
                var k: Int32 = 0
                for p in 0..<seq where ids[b * seq + p] != pad {
                    k += 1
                    out[b * seq + p] = pad + k
                }
            }
            return out
        }
    }

    /// Rows of possibly different lengths, right-padded with `config.padTokenId` (mask 0, type 0).
    /// A family without token types (DistilBERT) takes none: the tokenizer's segment ids are not a
    /// model input there (DistilBertTokenizer's `model_input_names`), so they are left out, as
    /// transformers' tokenizer leaves them out; given explicitly (`init(batch:…)`) a non-zero type is refused.
    public init(rows: [[Int]], tokenTypes: [[Int]]? = nil, config: BertConfig) throws {
        let tokenTypes = config.family.embeddings.tokenTypes ? tokenTypes : nil
        guard let seq = rows.map(\.count).max(), seq > 0 else { throw ModelError.emptyBatch }
        if let t = tokenTypes {
            for (r, row) in rows.enumerated() where r >= t.count || t[r].count != row.count {
                throw ModelError.raggedBatch(row: r, length: r < t.count ? t[r].count : 0, expected: row.count)
            }
        }
        var ids: [Int] = [], types: [Int] = [], mask: [Int] = []
        for (r, row) in rows.enumerated() {
            let pad = seq - row.count
            ids += row + [Int](repeating: config.padTokenId, count: pad)
            types += (tokenTypes?[r] ?? [Int](repeating: 0, count: row.count)) + [Int](repeating: 0, count: pad)
            mask += [Int](repeating: 1, count: row.count) + [Int](repeating: 0, count: pad)
        }
        try self.init(batch: rows.count, seq: seq, inputIds: ids, tokenTypeIds: types, attentionMask: mask, config: config)
    }

    /// Real tokens in each row.
    public var lengths: [Int] {
        (0..<batch).map { b in attentionMask[b * seq..<(b + 1) * seq].reduce(0) { $0 + Int($1) } }
    }

    /// The keys attention uses for row `b`: a count when the mask is ones then zeros (the usual
    /// right padding), else every position with the mask to skip the zeros.
    func keys(row b: Int) -> (count: Int, masked: Bool) {
        let m = attentionMask[b * seq..<(b + 1) * seq]
        let ones = m.prefix { $0 == 1 }.count
        if ones > 0, m.dropFirst(ones).allSatisfy({ $0 == 0 }) { return (ones, false) }
        return (seq, true)
    }
}
