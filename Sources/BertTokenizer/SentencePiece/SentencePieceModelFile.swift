import BertFormats
import Foundation
import SwiftProtobuf

// A SentencePiece model file (`sentencepiece.bpe.model`, `spiece.model`) turned into the pipeline
// transformers 4.57's XLMRobertaConverter / AlbertConverter (convert_slow_tokenizer.py) builds from
// it, as XLMRobertaTokenizerFast / AlbertTokenizerFast(vocab_file=...) do: a Unigram model, the
// file's normalization table (Precompiled) and whitespace rules, Metaspace, and the family's special
// tokens. (Transformers 5 builds these tokenizers without the table.)

extension PipelineTokenizer {
    /// The checkpoint family a SentencePiece model belongs to: it decides the pieces around the
    /// model's own (XLM-R shifts them by one) and the special tokens.
    public enum SentencePieceFamily: Sendable {
        case xlmRoberta
        /// ALBERT with tokenizer_config.json's `do_lower_case` and `keep_accents`.
        case albert(lowercase: Bool, keepAccents: Bool)
    }

    public init(sentencePieceModel path: String, family: SentencePieceFamily) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TokenizerPipelineError(file: path, path: "(file)", "cannot read the file")
        }
        try self.init(sentencePieceModel: [UInt8](data), file: path, family: family)
    }

    /// A model file's bytes; `file` names it in errors.
    public init(sentencePieceModel data: [UInt8], file path: String, family: SentencePieceFamily) throws {
        let proto: Sentencepiece_ModelProto
        do { proto = try Sentencepiece_ModelProto(serializedBytes: data) } catch {
            throw TokenizerPipelineError(file: path, path: "(file)", "not a SentencePiece model (protobuf: \(error))")
        }
        func fail(_ field: String, _ reason: String) -> TokenizerPipelineError { TokenizerPipelineError(file: path, path: field, reason) }
        guard proto.trainerSpec.modelType == .unigram else {
            throw fail("trainer_spec.model_type", "bertkit reads Unigram SentencePiece models, this one is \(proto.trainerSpec.modelType)")
        }
        for (i, p) in proto.pieces.enumerated() where !p.score.isFinite {
            throw fail("pieces.\(i).score", "the score of \"\(p.piece)\" must be a finite number, found \(p.score)")
        }
        let node = try JSONNode(.object(JSONObject()), path: "normalizer_spec", file: path)
        let spec = proto.normalizerSpec
        let charsmap = spec.precompiledCharsmap.isEmpty ? nil : try PrecompiledCharsMap(Array(spec.precompiledCharsmap), node: node)
        let metaspace = PreTokenizer.metaspace(replacement: 0x2581, prepend: spec.addDummyPrefix ? .always : .never, split: true)
        let decoder = Decoder.metaspace(replacement: 0x2581, prepends: spec.addDummyPrefix)
        let spaces = try CompiledRegex(" {2,}")
        let pieces = proto.pieces.map { ($0.piece, Double($0.score)) }
        switch family {
        case .xlmRoberta:
            // The fairseq layout: <s> <pad> </s> <unk>, then the model's pieces past its first three, then <mask>.
            guard pieces.count >= 3 else { throw fail("pieces", "expected at least 3 pieces, found \(pieces.count)") }
            let vocab = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)] + pieces[3...] + [("<mask>", 0.0)]
            let model = try UnigramModel(pieces: vocab, unkId: 3, byteFallback: false) { fail($0, $1) }
            var norm: [Normalizer] = charsmap.map { [Normalizer.precompiled($0)] } ?? []
            norm += [.strip(left: false, right: true), .replace(.regex(spaces), [0x2581])]
            let added = ["<s>", "<pad>", "</s>", "<unk>"].enumerated().map {
                PipelineAddedToken(id: Int32($0.offset), content: $0.element, normalized: false, special: true)
            } + [PipelineAddedToken(id: Int32(vocab.count - 1), content: "<mask>", lstrip: true, normalized: true, special: true)]
            let special: [String: [(id: Int32, token: String)]] = ["<s>": [(0, "<s>")], "</s>": [(2, "</s>")]]
            let post = PostProcessor.template(
                single: [.special("<s>", typeId: 0), .sequence(isB: false, typeId: 0), .special("</s>", typeId: 0)],
                pair: [.special("<s>", typeId: 0), .sequence(isB: false, typeId: 0), .special("</s>", typeId: 0),
                       .special("</s>", typeId: 0), .sequence(isB: true, typeId: 0), .special("</s>", typeId: 0)],
                special: special)
            try self.init(normalizer: .sequence(norm), preTokenizer: metaspace, model: .unigram(model), postProcessor: post,
                          decoder: decoder, addedTokens: added)
        case .albert(let lowercase, let keepAccents):
            let unk = Int(proto.trainerSpec.unkID)
            let model = try UnigramModel(pieces: pieces, unkId: unk, byteFallback: false) { fail($0, $1) }
            var norm: [Normalizer] = [.replace(.literal("``".scalarValues), [0x22]), .replace(.literal("''".scalarValues), [0x22])]
            if !keepAccents { norm += [.unicode(.nfkd), .stripAccents] }
            if lowercase { norm.append(.lowercase) }
            if let charsmap { norm.append(.precompiled(charsmap)) }
            norm.append(.replace(.regex(spaces), [0x20]))
            func id(_ t: String) throws -> Int32 {
                guard let i = pieces.firstIndex(where: { $0.0 == t }) else { throw fail("pieces", "ALBERT's \(t) is not a piece of this model") }
                return Int32(i)
            }
            let added = try ["<pad>", "<unk>", "[CLS]", "[SEP]", "[MASK]"].map {
                PipelineAddedToken(id: try id($0), content: $0, lstrip: $0 == "[MASK]", normalized: false, special: true)
            }.sorted { $0.id < $1.id }
            let cls = try id("[CLS]"), sep = try id("[SEP]")
            let post = PostProcessor.template(
                single: [.special("[CLS]", typeId: 0), .sequence(isB: false, typeId: 0), .special("[SEP]", typeId: 0)],
                pair: [.special("[CLS]", typeId: 0), .sequence(isB: false, typeId: 0), .special("[SEP]", typeId: 0),
                       .sequence(isB: true, typeId: 1), .special("[SEP]", typeId: 1)],
                special: ["[CLS]": [(cls, "[CLS]")], "[SEP]": [(sep, "[SEP]")]])
            try self.init(normalizer: .sequence(norm), preTokenizer: metaspace, model: .unigram(model), postProcessor: post,
                          decoder: decoder, addedTokens: added)
        }
    }
}
