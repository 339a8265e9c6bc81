import BertFormats
import Dispatch
import Foundation

/// A tokenizer that gives exactly the ids of transformers' (slow, Python) BertTokenizer, with
/// pairs, truncation (by default as the Rust-backed BertTokenizer / AutoTokenizer truncates; see
/// `TruncationRule`), padding, attention masks and character offsets. See formats/tokenizer.md.
public struct BertTokenizer: Sendable {
    let model: TokenizerModel
    let pool: EncoderPool

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

    func encodeRun(_ text: String, with encoder: inout TextEncoder) -> TokenRun {
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
            let shares = WorkerResults<Outcome>(workers)
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
}
