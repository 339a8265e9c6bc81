// Mirrors huggingface/tokenizers `processors/` (template.rs, roberta.rs, bert.rs, sequence.rs) and
// the ByteLevel post-processor of `pre_tokenizers/byte_level.rs` (`process_offsets`).

/// One token of an encoding on its way out: offsets are code points of its own text.
struct OutToken {
    var id: Int32
    var value: String
    var start: Int
    var end: Int
    var typeId: Int32 = 0
    var special: Bool = false
    /// The word (pre-tokenizer split) the token came from; -1 for the post-processor's tokens.
    var word: Int32 = -1
    /// The text it came from (0 or 1); -1 for the post-processor's tokens.
    var sequence: Int8 = -1
}

/// A "post_processor" node: special tokens around one or two sequences, and offset trimming.
enum PostProcessor: Sendable {
    case template(single: [TemplatePiece], pair: [TemplatePiece], special: [String: [(id: Int32, token: String)]])
    case roberta(cls: (String, Int32), sep: (String, Int32), trimOffsets: Bool, addPrefixSpace: Bool)
    case bert(cls: (String, Int32), sep: (String, Int32))
    case byteLevel(trimOffsets: Bool, addPrefixSpace: Bool)
    case sequence([PostProcessor])

    enum TemplatePiece: Sendable {
        case sequence(isB: Bool, typeId: Int32)
        case special(String, typeId: Int32)
    }

    init(_ n: JSONNode) throws {
        func tokenPair(_ key: String) throws -> (String, Int32) {
            let a = try n.array(key)
            guard a.count == 2, let s = a[0].stringValue, let id = a[1].intValue, id >= 0 else {
                throw n.error(key, "expected [token, id]")
            }
            return (s, Int32(id))
        }
        switch try n.type {
        case "TemplateProcessing":
            try n.expectKeys(["single", "pair", "special_tokens"])
            var special: [String: [(id: Int32, token: String)]] = [:]
            let table = try n.child("special_tokens")
            for (name, _) in table.object {
                let t = try table.child(name)
                try t.expectKeys(["id", "ids", "tokens"])
                let ids = try t.array("ids"), tokens = try t.array("tokens")
                guard ids.count == tokens.count else { throw t.error("ids", "\(ids.count) ids for \(tokens.count) tokens") }
                special[name] = try zip(ids, tokens).map { i, s in
                    guard let i = i.intValue, i >= 0, let s = s.stringValue else { throw t.error("ids", "expected ids and token strings") }
                    return (Int32(i), s)
                }
            }
            func template(_ key: String) throws -> [TemplatePiece] {
                try n.children(key).map { p in
                    if p.has("Sequence") {
                        let s = try p.child("Sequence")
                        let id = try s.string("id")
                        guard id == "A" || id == "B" else { throw s.error("id", "expected A or B, found \"\(id)\"") }
                        return .sequence(isB: id == "B", typeId: Int32(try s.int("type_id")))
                    }
                    let s = try p.child("SpecialToken")
                    let id = try s.string("id")
                    guard special[id] != nil else { throw s.error("id", "\"\(id)\" is not in special_tokens") }
                    return .special(id, typeId: Int32(try s.int("type_id")))
                }
            }
            self = .template(single: try template("single"), pair: try template("pair"), special: special)
        case "RobertaProcessing":
            try n.expectKeys(["sep", "cls", "trim_offsets", "add_prefix_space"])
            self = .roberta(cls: try tokenPair("cls"), sep: try tokenPair("sep"), trimOffsets: try n.bool("trim_offsets", default: true),
                            addPrefixSpace: try n.bool("add_prefix_space", default: true))
        case "BertProcessing":
            try n.expectKeys(["sep", "cls"])
            self = .bert(cls: try tokenPair("cls"), sep: try tokenPair("sep"))
        case "ByteLevel":
            try n.expectKeys(["add_prefix_space", "trim_offsets", "use_regex"])
            self = .byteLevel(trimOffsets: try n.bool("trim_offsets", default: true), addPrefixSpace: try n.bool("add_prefix_space", default: true))
        case "Sequence":
            try n.expectKeys(["processors"])
            self = .sequence(try n.children("processors").map(PostProcessor.init))
        default:
            throw try n.unsupportedType()
        }
    }

    /// `process_encodings`: `sequences` (one or two) in, the parts of the final encoding out.
    func process(_ sequences: [[OutToken]], addSpecialTokens: Bool) -> [[OutToken]] {
        switch self {
        case .template(let single, let pair, let special):
            var out: [[OutToken]] = []
            for piece in sequences.count == 2 ? pair : single {
                switch piece {
                case .sequence(let isB, let typeId):
                    var tokens = sequences[isB ? 1 : 0]
                    for i in tokens.indices { tokens[i].typeId = typeId }
                    out.append(tokens)
                case .special(let name, let typeId):
                    if addSpecialTokens {
                        out.append(special[name]!.map { OutToken(id: $0.id, value: $0.token, start: 0, end: 0, typeId: typeId, special: true) })
                    }
                }
            }
            return out
        case .roberta(let cls, let sep, let trim, let prefix):
            var seqs = sequences
            for i in seqs.indices {
                if trim { trimOffsets(&seqs[i], addPrefixSpace: prefix) }
                for j in seqs[i].indices { seqs[i][j].typeId = 0 }
            }
            guard addSpecialTokens else { return seqs }
            let c = OutToken(id: cls.1, value: cls.0, start: 0, end: 0, special: true)
            let s = OutToken(id: sep.1, value: sep.0, start: 0, end: 0, special: true)
            return seqs.count == 2 ? [[c], seqs[0], [s], [s], seqs[1], [s]] : [[c], seqs[0], [s]]
        case .bert(let cls, let sep):
            let seqs = sequences.enumerated().map { i, s in s.map { var t = $0; t.typeId = Int32(i); return t } }
            guard addSpecialTokens else { return seqs }
            let c = OutToken(id: cls.1, value: cls.0, start: 0, end: 0, special: true)
            let s = OutToken(id: sep.1, value: sep.0, start: 0, end: 0, special: true)
            var sB = s
            sB.typeId = 1
            return seqs.count == 2 ? [[c], seqs[0], [s], seqs[1], [sB]] : [[c], seqs[0], [s]]
        case .byteLevel(let trim, let prefix):
            guard trim else { return sequences }
            var seqs = sequences
            for i in seqs.indices { trimOffsets(&seqs[i], addPrefixSpace: prefix) }
            return seqs
        case .sequence(let list):
            var parts = sequences
            for p in list { parts = p.process(parts, addSpecialTokens: addSpecialTokens) }
            return parts
        }
    }
}

/// byte_level.rs `process_offsets`: offsets lose the leading and trailing spaces (Ġ) of their token,
/// but the first token keeps a single leading one that add_prefix_space put there.
func trimOffsets(_ tokens: inout [OutToken], addPrefixSpace: Bool) {
    let space = ByteLevelMap.byteToChar[0x20]
    func isSpace(_ c: Unicode.Scalar) -> Bool { c.value == space || isWhiteSpace(c.value) }
    for i in tokens.indices {
        let scalars = tokens[i].value.unicodeScalars
        guard let first = scalars.first, let last = scalars.last, isSpace(first) || isSpace(last) else { continue }
        var t = tokens[i]
        var lead = scalars.prefix { isSpace($0) }.count
        let trail = scalars.reversed().prefix { isSpace($0) }.count
        if lead > 0 {
            if (i == 0 || t.start == 0) && addPrefixSpace && lead == 1 { lead = 0 }
            t.start = min(t.start + lead, t.end)
        }
        if trail > 0 && t.end >= trail { t.end = max(t.end - trail, t.start) }
        tokens[i] = t
    }
}
