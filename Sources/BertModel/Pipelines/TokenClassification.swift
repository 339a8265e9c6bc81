import BertFormats
import BertTokenizer
import Foundation

// transformers 5.23 pipelines/token_classification.py (TokenClassificationPipeline), for one text
// at a time as the pipeline runs it:
// - `postprocess`: a softmax per token, then `gather_pre_entities` (special tokens skipped; a token
//   is a sub-word when `len(token) != len(text[start:end])`, `##` included; `[UNK]` takes the text's
//   characters as its word and is never a sub-word), `aggregate`, and the `ignore_labels` filter;
// - `aggregate_words` / `aggregate_word` (first, max, average) and `group_entities` /
//   `group_sub_entities` (B-/I- grouping), with `word` from `convert_tokens_to_string`, which is
//   the tokenizer's WordPiece decoder (WordPieceDecoder below).
// Only the tokens that fit in the model are classified: the pipeline truncates silently to the
// tokenizer's `model_max_length` (windows only when given `stride`); bertkit cuts at
// max_position_embeddings (the same 512 for MiniLM and BERT; a smaller model_max_length would make
// the pipeline cut earlier) and reports the texts it cut.

/// How the pipeline fuses tokens into entities (`aggregation_strategy`).
public enum AggregationStrategy: String, CaseIterable, Sendable {
    /// One result per token, labelled by its own argmax.
    case none
    /// Tokens by their own argmax, then grouped.
    case simple
    /// A word takes its first token's label.
    case first
    /// A word takes the argmax of its tokens' mean scores.
    case average
    /// A word takes the label of its token with the highest score.
    case max
}

/// One result of the token-classification pipeline: a token (`none`) or an entity group.
public struct TokenEntity: Sendable, Equatable {
    /// The label (`entity`) for `none`; the label without its B-/I- prefix (`entity_group`) otherwise.
    public var label: String
    public var score: Float
    /// The token's position in the model input ([CLS] is 0); `none` only.
    public var index: Int?
    /// The token itself (`none`), or the decoded tokens; an `[UNK]` is the text it stands for.
    public var word: String
    /// Code-point offsets into the original text.
    public var start: Int
    public var end: Int

    /// The pipeline's dict, with its keys in its order.
    public var json: JSONValue {
        var o = JSONObject([(index == nil ? "entity_group" : "entity", .string(label)), ("score", .double(Double(score)))])
        if let i = index { o["index"] = .int(i) }
        o["word"] = .string(word)
        o["start"] = .int(start)
        o["end"] = .int(end)
        return .object(o)
    }
}

/// The tokenizers library's WordPiece decoder (decoders/wordpiece.rs), as transformers 5.23's
/// ModelTokenizer sets it up: prefix `##`, cleanup on (it ignores tokenizer.json's `cleanup` and
/// `clean_up_tokenization_spaces`). Every token but the first loses its prefix or gains a leading
/// space; then each token alone is cleaned up. A first token keeps its `##`.
public struct WordPieceDecoder: Sendable {
    public var prefix = "##"
    public var cleanup = true
    public init(prefix: String = "##", cleanup: Bool = true) {
        self.prefix = prefix
        self.cleanup = cleanup
    }

    /// tokenizers' `cleanup`, in its order.
    static let cleanups: [(String, String)] = [
        (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
        (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
    ]

    public func decode(_ tokens: [String]) -> String {
        var out = String.UnicodeScalarView()
        let p = Array(prefix.unicodeScalars)
        for (i, token) in tokens.enumerated() {
            var t = Array(token.unicodeScalars)
            if i > 0 {
                if t.starts(with: p) { t.removeFirst(p.count) } else { t.insert(" ", at: 0) }
            }
            if cleanup {
                for (from, to) in Self.cleanups { t = replacing(Array(from.unicodeScalars), Array(to.unicodeScalars), in: t) }
            }
            out.append(contentsOf: t)
        }
        return String(out)
    }

    /// Python's `str.replace` on code points (Swift's String search would match canonical equivalents).
    private func replacing(_ pattern: [Unicode.Scalar], _ with: [Unicode.Scalar], in s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard s.count >= pattern.count else { return s }
        var out: [Unicode.Scalar] = [], i = 0
        while i < s.count {
            if i + pattern.count <= s.count, s[i..<i + pattern.count].elementsEqual(pattern) {
                out += with
                i += pattern.count
            } else {
                out.append(s[i])
                i += 1
            }
        }
        return out
    }
}

/// The token-classification pipeline's postprocessing: from one text's tokens and logits to its
/// entities.
public struct TokenClassification: Sendable {
    /// `id2label`, by class index.
    public let labels: [String]
    public var aggregation: AggregationStrategy
    /// Results with these labels (`none`) or entity groups (others) are dropped.
    public var ignoreLabels: [String]
    public var decoder = WordPieceDecoder()
    /// How a token is found to be a sub-word (`gather_pre_entities`): by length when the tokenizer's
    /// model has a `continuing_subword_prefix` (WordPiece), else by the fallback heuristic.
    public var subwords: SubwordRule = .byLength
    /// A pipeline tokenizer's decoder for `word` (`convert_tokens_to_string`); nil: `decoder`.
    public var pipelineDecoder: PipelineTokenizer?

    public enum SubwordRule: Sendable {
        /// `len(word) != len(text[start:end])`, the prefix included ("word aware" tokenizers).
        case byLength
        /// `start > 0 and " " not in text[start - 1 : start + 1]`: byte-level BPE and SentencePiece,
        /// whose models have no continuing_subword_prefix.
        case bySpaces
    }

    /// Set up for `tokenizer`, as the pipeline inspects `tokenizer._tokenizer.model`.
    public mutating func use(_ tokenizer: ModelTokenizer) {
        subwords = tokenizer.continuingSubwordPrefix != nil ? .byLength : .bySpaces
        if case .pipeline(let p) = tokenizer.backend { pipelineDecoder = p }
    }

    func convertTokensToString(_ tokens: [String]) -> String {
        pipelineDecoder.map { $0.decode(tokens: tokens) } ?? decoder.decode(tokens)
    }

    public init(labels: [String], aggregation: AggregationStrategy = .none, ignoreLabels: [String] = ["O"]) {
        self.labels = labels
        self.aggregation = aggregation
        self.ignoreLabels = ignoreLabels
    }

    /// A token as `gather_pre_entities` leaves it.
    struct PreEntity {
        var word: String
        var scores: [Float]
        var start: Int, end: Int
        var index: Int
        var isSubword: Bool
    }

    /// The entities of `text` from its encoding (`[CLS] text [SEP]`, offsets into `text`) and the
    /// logits [encoding.count, labels] of its row.
    public func entities(text: String, encoding: Encoding, logits: ArraySlice<Float>, unkTokenId: Int?) -> [TokenEntity] {
        let pre = preEntities(text: text, encoding: encoding, logits: logits, unkTokenId: unkTokenId)
        let grouped: [TokenEntity]
        switch aggregation {
        case .none:
            return pre.map { p in
                let k = argmax(p.scores)
                return TokenEntity(label: labels[k], score: p.scores[k], index: p.index, word: p.word, start: p.start, end: p.end)
            }.filter { !ignoreLabels.contains($0.label) }
        case .simple:
            grouped = group(pre.map { p in
                let k = argmax(p.scores)
                return TokenEntity(label: labels[k], score: p.scores[k], word: p.word, start: p.start, end: p.end)
            })
        case .first, .average, .max:
            grouped = group(words(pre))
        }
        return grouped.filter { !ignoreLabels.contains($0.label) }
    }

    /// `gather_pre_entities`, after the softmax.
    func preEntities(text: String, encoding e: Encoding, logits: ArraySlice<Float>, unkTokenId: Int?) -> [PreEntity] {
        let chars = Array(text.unicodeScalars)
        let width = labels.count
        precondition(logits.count >= e.count * width, "logits for \(e.count) tokens × \(width) labels")
        // The pipeline skips the tokens the tokenizer added (special_tokens_mask): [CLS] and the
        // last [SEP]. A literal "[SEP]" in the text is a token like any other.
        let kept = e.specialTokensMask.isEmpty ? Array(e.inputIds.indices.dropFirst().dropLast())
            : e.inputIds.indices.filter { e.specialTokensMask[$0] == 0 }
        return kept.map { idx in
            let row = logits.dropFirst(idx * width).prefix(width)
            let m = row.max()!
            let ex = row.map { expf($0 - m) }
            let sum = ex.reduce(0, +)
            let r = e.offsets[idx]
            let ref = String(String.UnicodeScalarView(chars[min(r.lowerBound, chars.count)..<min(r.upperBound, chars.count)]))
            var word = e.tokens[idx]
            var isSubword: Bool
            switch subwords {
            case .byLength:
                isSubword = word.unicodeScalars.count != ref.unicodeScalars.count
            case .bySpaces:
                let s = r.lowerBound
                isSubword = s > 0 && !chars[min(s - 1, chars.count)..<min(s + 1, chars.count)].contains(" ")
            }
            if e.inputIds[idx] == unkTokenId {
                word = ref
                isSubword = false
            }
            return PreEntity(word: word, scores: ex.map { $0 / sum }, start: r.lowerBound, end: r.upperBound, index: idx,
                             isSubword: isSubword)
        }
    }

    /// `aggregate_words`: a word is a token and the sub-words after it; each takes one label.
    private func words(_ pre: [PreEntity]) -> [TokenEntity] {
        var words: [[PreEntity]] = []
        for p in pre {
            if p.isSubword, !words.isEmpty { words[words.count - 1].append(p) } else { words.append([p]) }
        }
        return words.map { w in
            let scores: [Float]
            switch aggregation {
            case .first: scores = w[0].scores
            // The first token with the highest score, as Python's max() keeps the first.
            case .max: scores = w.reduce(w[0]) { $1.scores.max()! > $0.scores.max()! ? $1 : $0 }.scores
            default: scores = (0..<labels.count).map { k in w.reduce(0) { $0 + $1.scores[k] } / Float(w.count) }
            }
            let k = argmax(scores)
            return TokenEntity(label: labels[k], score: scores[k], word: convertTokensToString(w.map(\.word)),
                               start: w[0].start, end: w.last!.end)
        }
    }

    /// `group_entities`: a run of the same tag, each but the first not B-, is one group; its label
    /// is the first one's without the prefix, its score the mean.
    private func group(_ entities: [TokenEntity]) -> [TokenEntity] {
        var groups: [[TokenEntity]] = []
        for e in entities {
            if let last = groups.last?.last {
                let (bi, tag) = Self.tag(e.label), (_, lastTag) = Self.tag(last.label)
                if tag == lastTag, bi != "B" { groups[groups.count - 1].append(e); continue }
            }
            groups.append([e])
        }
        return groups.map { g in
            let first = g[0].label
            let label = first.firstIndex(of: "-").map { String(first[first.index(after: $0)...]) } ?? first
            return TokenEntity(label: label, score: g.reduce(0) { $0 + $1.score } / Float(g.count),
                               word: convertTokensToString(g.map(\.word)), start: g[0].start, end: g.last!.end)
        }
    }

    /// `get_tag`: B-x and I-x, anything else an I- continuation of itself.
    static func tag(_ label: String) -> (String, Substring) {
        if label.hasPrefix("B-") { return ("B", label.dropFirst(2)) }
        if label.hasPrefix("I-") { return ("I", label.dropFirst(2)) }
        return ("I", Substring(label))
    }

    /// numpy's argmax: the first of equal maxima.
    private func argmax(_ v: [Float]) -> Int {
        var best = 0
        for k in v.indices where v[k] > v[best] { best = k }
        return best
    }
}

/// A token-classification model with its tokenizer: texts in, the pipeline's entities out.
public struct TokenClassifier {
    public let model: BertModel
    public let tokenizer: ModelTokenizer
    public var postprocess: TokenClassification

    /// Throws unless the model is a token classifier with a vocabulary.
    public init(model: BertModel, aggregation: AggregationStrategy = .none, ignoreLabels: [String] = ["O"]) throws {
        try PipelineTask.tokenClassification.check(model.architecture)
        self.model = model
        tokenizer = try model.makeTokenizer()
        postprocess = TokenClassification(labels: model.config.id2label, aggregation: aggregation, ignoreLabels: ignoreLabels)
        postprocess.use(tokenizer)
    }

    /// Each text's entities, batched in one forward. A text longer than `limit` tokens (default and
    /// at most max_position_embeddings) is cut to it, or refused when `truncate` is false.
    public func callAsFunction(_ texts: [String], limit: Int? = nil, truncate: Bool = true) throws
        -> (entities: [[TokenEntity]], truncated: [(row: Int, tokens: Int)]) {
        let inputs = texts.map { TextInput($0) }
        let encoded = try BertInput.encode(inputs, tokenizer: tokenizer, config: model.config, limit: limit, truncate: truncate)
        // The same encodings, with tokens and offsets (cutting to the limit changes only long texts).
        let encodings = try tokenizer.encode(inputs, options: EncodingOptions(maxLength: encoded.limit, truncation: .longestFirst))
        let out = try model.run(encoded.input)
        // A token-classification head always writes [B, S, labels] logits.
        guard let logits = out.logits else { preconditionFailure("a \(model.architecture.className) forward without logits") }
        let width = model.config.numLabels * out.seq
        let entities = encodings.enumerated().map { b, e in
            postprocess.entities(text: texts[b], encoding: e, logits: logits[b * width..<(b + 1) * width],
                                 unkTokenId: tokenizer.unkTokenId)
        }
        return (entities, encoded.truncated)
    }
}
