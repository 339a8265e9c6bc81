import BertFormats

// Mirrors transformers' PythonBackend.prepare_for_model (tokenization_python.py): truncation
// (Truncation.swift), then [CLS] A [SEP] (B [SEP]) with token types, then padding
// (PreTrainedTokenizerBase.pad).

extension BertTokenizer {
    /// Tokens, truncation and special tokens of one input (padding comes after, batch-wide).
    func assemble(_ input: TextInput, _ index: Int, _ plan: EncodingPlan, _ encoder: inout TextEncoder)
        -> Result<Encoding, TokenizerError>
    {
        var a = encodeRun(input.text, with: &encoder)
        var b = input.pair.map { encodeRun($0, with: &encoder) }
        let special = plan.addSpecialTokens ? (b == nil ? 2 : 3) : 0
        if let max = plan.truncationLength {
            if let why = truncate(&a, &b, maxLength: max, special: special, strategy: plan.truncation,
                                  rule: plan.truncationRule, side: plan.truncationSide) {
                return .failure(.cannotTruncate(input: index, maxLength: max, strategy: plan.truncation, why: why))
            }
        }
        var e = Encoding(inputIds: [], tokenTypeIds: [], attentionMask: [], tokens: [], offsets: [])
        let n = a.count + (b?.count ?? 0) + special
        e.inputIds.reserveCapacity(n)
        e.offsets.reserveCapacity(n)
        func add(_ id: Int32, _ type: Int, _ span: Range<Int>) {
            e.inputIds.append(Int(id))
            e.tokenTypeIds.append(type)
            e.offsets.append(span)
        }
        func add(_ run: TokenRun, _ type: Int) {
            for k in 0..<run.count { add(run.ids[k], type, Int(run.starts[k])..<Int(run.ends[k])) }
        }
        if plan.addSpecialTokens { add(encoder.clsId, 0, 0..<0) }
        add(a, 0)
        if plan.addSpecialTokens { add(encoder.sepId, 0, 0..<0) }
        if let b {
            add(b, plan.addSpecialTokens ? 1 : 0)
            if plan.addSpecialTokens { add(encoder.sepId, 1, 0..<0) }
        }
        e.attentionMask = [Int](repeating: 1, count: e.inputIds.count)
        let names = encoder.names
        e.tokens = e.inputIds.map { $0 < names.count ? names[$0] : model.token(of: $0) }
        return .success(e)
    }

    func pad(_ e: inout Encoding, to length: Int) {
        let n = length - e.count
        guard n > 0 else { return }
        let pad = model.token(of: Int(model.padId))
        let left = model.padsLeft
        func put<T>(_ a: inout [T], _ v: T) { left ? a.insert(contentsOf: repeatElement(v, count: n), at: 0) : a.append(contentsOf: repeatElement(v, count: n)) }
        put(&e.inputIds, Int(model.padId))
        put(&e.tokenTypeIds, 0)
        put(&e.attentionMask, 0)
        put(&e.tokens, pad)
        put(&e.offsets, 0..<0)
    }
}

/// The options resolved against the settings, as transformers' `_get_padding_truncation_strategies`.
struct EncodingPlan {
    var addSpecialTokens: Bool
    var truncation: Truncation
    var truncationRule: TruncationRule
    var truncationLength: Int?
    var padding: Padding
    var padToLength: Int?
    var truncationSide: String

    init(options o: EncodingOptions, settings: TokenizerSettings) throws {
        addSpecialTokens = o.addSpecialTokens
        truncationSide = settings.truncationSide
        truncation = o.truncation ?? (o.maxLength != nil ? .longestFirst : .none)
        truncationRule = o.truncationRule
        padding = o.padding
        let limit = o.maxLength ?? settings.modelMaxLength
        if let m = o.maxLength, m < 1 { throw TokenizerError.invalidOption("max length must be at least 1, found \(m)") }
        if truncation != .none {
            guard let limit else {
                throw TokenizerError.invalidOption("truncation needs a max length: give one, or set model_max_length in tokenizer_config.json")
            }
            truncationLength = limit
        }
        if padding == .maxLength {
            guard let limit else {
                throw TokenizerError.invalidOption("max_length padding needs a max length: give one, or set model_max_length in tokenizer_config.json")
            }
            padToLength = limit
        }
    }

    func padLength(_ lengths: [Int]) -> Int? {
        switch padding {
        case .none: nil
        case .longest: lengths.max()
        case .maxLength: padToLength
        }
    }
}
