import BertFormats

/// A token a model produced for one piece: `start..<end` are code points of that piece.
struct PieceToken {
    var id: Int32
    var start: Int
    var end: Int
}

/// Buffers a model reuses from piece to piece of one text.
struct ModelScratch {
    var bytes: [UInt8] = []
    var charAt: [Int] = []
    var sink = TokenSink()
}

/// The "model" of a `tokenizer.json`: WordPiece, BPE or Unigram, and the vocabulary by id.
enum TokenModel: Sendable {
    case wordPiece(WordPiece, vocab: [String])
    case bpe(BPEModel)
    case unigram(UnigramModel)

    init(_ n: JSONNode) throws {
        // tokenizers omits "type" in some old files; the fields say which model it is.
        let type = n.has("type") ? try n.type : n.has("merges") ? "BPE" : n.has("continuing_subword_prefix") ? "WordPiece" : "Unigram"
        switch type {
        case "BPE": self = .bpe(try BPEModel(n))
        case "Unigram": self = .unigram(try UnigramModel(n))
        case "WordPiece":
            try n.expectKeys(["unk_token", "continuing_subword_prefix", "max_input_chars_per_word", "vocab"])
            if n.has("continuing_subword_prefix"), try n.string("continuing_subword_prefix") != WordPiece.prefix {
                throw n.error("continuing_subword_prefix", "bertkit's WordPiece uses \"##\", found \"\(try n.string("continuing_subword_prefix"))\"")
            }
            if n.has("max_input_chars_per_word"), try n.int("max_input_chars_per_word") != WordPiece.maxInputCharsPerWord {
                throw n.error("max_input_chars_per_word", "bertkit's WordPiece uses 100, found \(try n.int("max_input_chars_per_word"))")
            }
            let vocab = try readVocab(n.child("vocab"))
            let unk = try n.string("unk_token")
            guard let unkId = vocab.firstIndex(of: unk) else { throw n.error("unk_token", "\"\(unk)\" is not in the vocabulary") }
            self = .wordPiece(WordPiece(vocabulary: vocab, unkId: unkId), vocab: vocab)
        default:
            throw n.error("type", "bertkit does not implement model type \"\(type)\"")
        }
    }

    var tokens: [String] {
        switch self {
        case .wordPiece(_, let v): v
        case .bpe(let b): b.tokens
        case .unigram(let u): u.pieces
        }
    }

    /// The unknown token's id, if the model has one.
    var unkId: Int32? {
        switch self {
        case .wordPiece(let w, _): w.unkId
        case .bpe(let b): b.unkId
        case .unigram(let u): u.unkId
        }
    }

    func tokenize(_ piece: NormalizedText, into out: inout [PieceToken], scratch s: inout ModelScratch) throws(UnigramError) {
        switch self {
        case .wordPiece(let w, _):
            // WordPiece runs on UTF-8; charAt maps each byte offset back to its code point.
            s.bytes.removeAll(keepingCapacity: true)
            s.charAt.removeAll(keepingCapacity: true)
            s.sink.removeAll()
            for (i, c) in piece.chars.enumerated() {
                UTF8.encode(Unicode.Scalar(c)!) { b in
                    s.bytes.append(b)
                    s.charAt.append(i)
                }
            }
            s.charAt.append(piece.count)
            _ = s.bytes.withUnsafeBufferPointer { w.tables.encode($0.baseAddress!, $0.count, chars: piece.count, into: &s.sink) }
            for k in 0..<s.sink.count {
                out.append(PieceToken(id: s.sink.ids[k], start: s.charAt[Int(s.sink.starts[k])], end: s.charAt[Int(s.sink.ends[k])]))
            }
        case .bpe(let b): b.tokenize(piece.chars, into: &out)
        case .unigram(let u): try u.tokenize(piece.chars, into: &out)
        }
    }
}

/// `{"token": id, ...}` with ids exactly 0..<count.
func readVocab(_ n: JSONNode) throws -> [String] {
    var tokens = [String?](repeating: nil, count: n.object.count)
    for (token, v) in n.object {
        guard let id = v.intValue, id >= 0, id < tokens.count else {
            throw n.error(token, "expected an id in 0..<\(tokens.count) (the vocabulary's size), found \(v.kind)")
        }
        if let other = tokens[id] { throw n.error(token, "id \(id) is also the id of \"\(other)\"") }
        tokens[id] = token
    }
    return tokens.map { $0! }
}

