import BertFormats
import Dispatch
import Foundation

/// A tokenizer that gives exactly the ids of transformers' (slow, Python) BertTokenizer, with
/// pairs, truncation, padding, attention masks and character offsets. See formats/tokenizer.md.
public struct BertTokenizer: Sendable {
    let model: TokenizerModel
    private let pool: EncoderPool

    public var vocabulary: Vocabulary { model.vocabulary }
    public var settings: TokenizerSettings { model.settings }
    public var unkTokenId: Int { Int(model.unkId) }
    public var clsTokenId: Int { Int(model.clsId) }
    public var sepTokenId: Int { Int(model.sepId) }
    public var padTokenId: Int { Int(model.padId) }

    /// `source` names the vocabulary in errors. A vocabulary without the unk, cls, sep or pad
    /// token is refused, naming each missing one.
    public init(vocabulary: Vocabulary, settings: TokenizerSettings = TokenizerSettings(), source: String = "vocabulary") throws {
        model = try TokenizerModel(vocabulary: vocabulary, settings: settings, source: source)
        pool = EncoderPool(model: model)
    }

    /// A HuggingFace model folder: vocab.txt (or tokenizer.json) and tokenizer_config.json.
    public init(folder: String) throws {
        let (vocabulary, settings) = try TokenizerFiles.read(folder: folder)
        try self.init(vocabulary: vocabulary, settings: settings, source: folder)
    }

    // MARK: Tokens of one text

    /// The word pieces of `text` without special tokens, each with its code-point span.
    public func tokenize(_ text: String) -> (ids: [Int], offsets: [Range<Int>]) {
        let run = encodeRun(text)
        return (run.ids.map(Int.init), zip(run.starts, run.ends).map { Int($0)..<Int($1) })
    }

    /// The token strings of `text` (transformers' `tokenize`).
    public func tokens(_ text: String) -> [String] { encodeRun(text).ids.map { model.token(of: Int($0)) } }

    public func token(of id: Int) -> String { model.token(of: id) }

    func encodeRun(_ text: String) -> TokenRun {
        pool.withEncoder { encodeRun(text, with: &$0) }
    }

    private func encodeRun(_ text: String, with encoder: inout TextEncoder) -> TokenRun {
        encoder.sink.removeAll()
        var text = text
        text.withUTF8 { encoder.encode($0) }
        return TokenRun(encoder.sink)
    }

    // MARK: Model inputs

    /// `tokenizer(text, text_pair=pair, ...)` for one input.
    public func encode(_ text: String, pair: String? = nil, options: EncodingOptions = EncodingOptions()) throws -> Encoding {
        let plan = try EncodingPlan(options: options, settings: settings)
        var e = try pool.withEncoder { assemble(TextInput(text, pair: pair), 0, plan, &$0) }.get()
        if let length = plan.padLength([e.count]) { pad(&e, to: length) }
        return e
    }

    /// A batch, encoded on every core; `.longest` padding pads to the batch's longest input.
    public func encode(_ inputs: [TextInput], options: EncodingOptions = EncodingOptions()) throws -> [Encoding] {
        let plan = try EncodingPlan(options: options, settings: settings)
        typealias Outcome = Result<Encoding, TokenizerError>
        var out: [Outcome]
        let workers = min(ProcessInfo.processInfo.activeProcessorCount, max(1, inputs.count / 16))
        if workers <= 1 {
            out = pool.withEncoder { encoder in inputs.indices.map { assemble(inputs[$0], $0, plan, &encoder) } }
        } else {
            // Worker w encodes inputs w, w + workers, ...; the shares are interleaved back afterwards.
            let shares = Shares<Outcome>(workers)
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                shares[w] = pool.withEncoder { encoder in
                    stride(from: w, to: inputs.count, by: workers).map { assemble(inputs[$0], $0, plan, &encoder) }
                }
            }
            out = inputs.indices.map { shares[$0 % workers][$0 / workers] }
        }
        var encodings = try out.map { try $0.get() }
        if let length = plan.padLength(encodings.map(\.count)) {
            for i in encodings.indices { pad(&encodings[i], to: length) }
        }
        return encodings
    }

    /// Tokens, truncation and special tokens of one input (padding comes after, batch-wide).
    private func assemble(_ input: TextInput, _ index: Int, _ plan: EncodingPlan, _ encoder: inout TextEncoder)
        -> Result<Encoding, TokenizerError>
    {
        var a = encodeRun(input.text, with: &encoder)
        var b = input.pair.map { encodeRun($0, with: &encoder) }
        let special = plan.addSpecialTokens ? (b == nil ? 2 : 3) : 0
        if let max = plan.truncationLength {
            let total = a.count + (b?.count ?? 0) + special
            if let why = truncate(&a, &b, remove: total - max, strategy: plan.truncation, side: settings.truncationSide) {
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

    private func pad(_ e: inout Encoding, to length: Int) {
        let n = length - e.count
        guard n > 0 else { return }
        let pad = model.token(of: Int(model.padId))
        let left = settings.paddingSide == "left"
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
    var truncationLength: Int?
    var padding: Padding
    var padToLength: Int?

    init(options o: EncodingOptions, settings: TokenizerSettings) throws {
        addSpecialTokens = o.addSpecialTokens
        truncation = o.truncation ?? (o.maxLength != nil ? .longestFirst : .none)
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

/// Encoders (scratch buffers) kept between calls, so encoding a short text allocates little.
final class EncoderPool: @unchecked Sendable {
    private let model: TokenizerModel
    private let lock = NSLock()
    private var free: [TextEncoder] = []

    init(model: TokenizerModel) { self.model = model }

    func withEncoder<R>(_ body: (inout TextEncoder) throws -> R) rethrows -> R {
        var encoder = lock.withLock { free.popLast() } ?? TextEncoder(model: model)
        defer { lock.withLock { if free.count < 16 { free.append(encoder) } } }
        return try body(&encoder)
    }
}

/// One result array per worker thread, each written once under a lock.
private final class Shares<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [[T]]

    init(_ count: Int) { items = Array(repeating: [], count: count) }

    subscript(w: Int) -> [T] {
        get { lock.withLock { items[w] } }
        set { lock.withLock { items[w] = newValue } }
    }
}
