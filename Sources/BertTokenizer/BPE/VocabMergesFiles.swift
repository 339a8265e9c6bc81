import BertFormats
import Foundation

// RoBERTa's slow-tokenizer files, as transformers' RobertaConverter (convert_slow_tokenizer.py)
// turns them into a pipeline: ByteLevel pre-tokenizer and decoder, BPE without an unk token,
// RobertaProcessing with trimmed offsets, and the special tokens as added tokens (<mask> takes
// the space before it).
//   vocab.json   {"token": id, ...}, ids exactly 0..<count
//   merges.txt   an optional "#version" first line, then one "left right" merge a line, by rank

extension PipelineTokenizer {
    public init(vocabJSON: String, merges: String, addPrefixSpace: Bool = false, trimOffsets: Bool = true,
                special: (cls: String, sep: String, pad: String, unk: String, mask: String) = ("<s>", "</s>", "<pad>", "<unk>", "<mask>")) throws {
        guard let v = FileManager.default.contents(atPath: vocabJSON) else {
            throw TokenizerPipelineError(file: vocabJSON, path: "(file)", "cannot read the file")
        }
        guard let m = FileManager.default.contents(atPath: merges) else {
            throw TokenizerPipelineError(file: merges, path: "(file)", "cannot read the file")
        }
        try self.init(vocabJSON: [UInt8](v), merges: [UInt8](m), files: (vocabJSON, merges), addPrefixSpace: addPrefixSpace,
                      trimOffsets: trimOffsets, special: special)
    }

    /// The two files' bytes; `files` names them in errors.
    public init(vocabJSON vocabBytes: [UInt8], merges mergesBytes: [UInt8], files: (vocab: String, merges: String),
                addPrefixSpace: Bool = false, trimOffsets: Bool = true,
                special: (cls: String, sep: String, pad: String, unk: String, mask: String) = ("<s>", "</s>", "<pad>", "<unk>", "<mask>")) throws {
        let (vocabJSON, merges) = files
        let vocab = try readVocab(JSONNode(try JSONParser.parse(vocabBytes, file: vocabJSON), path: "", file: vocabJSON))
        guard let text = String(validating: mergesBytes, as: UTF8.self) else { throw TokenizerPipelineError(file: merges, path: "(file)", "not UTF-8") }
        var pairs: [(String, String, path: String)] = []
        // Split on bytes: in Characters, "\r\n" is one, and so is a space followed by a combining mark.
        for (i, raw) in Array(text.utf8).split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            let line = raw.last == 0x0D ? raw.dropLast() : raw
            if line.isEmpty || (i == 0 && line.starts(with: "#version".utf8)) { continue }
            let parts = line.split(separator: 0x20, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            guard parts.count == 2 else {
                throw TokenizerPipelineError(file: merges, path: "line \(i + 1)", "expected \"left right\", found \"\(String(decoding: line, as: UTF8.self))\"")
            }
            pairs.append((String(parts[0]), String(parts[1]), "line \(i + 1)"))
        }
        let bpe = try BPEModel(vocab: vocab, merges: pairs, unkToken: nil, prefix: nil, suffix: nil, fuseUnk: false,
                               byteFallback: false, ignoreMerges: false) { path, reason in
            TokenizerPipelineError(file: path.hasPrefix("line") ? merges : vocabJSON, path: path, reason)
        }
        func id(_ t: String) throws -> Int32 {
            guard let i = bpe.id(of: t) else { throw TokenizerPipelineError(file: vocabJSON, path: t, "the special token \"\(t)\" is not in the vocabulary") }
            return i
        }
        let added = try [special.cls, special.pad, special.sep, special.unk, special.mask].map { t in
            PipelineAddedToken(id: try id(t), content: t, lstrip: t == special.mask, normalized: false, special: true)
        }
        try self.init(normalizer: nil, preTokenizer: .byteLevel(addPrefixSpace: addPrefixSpace, useRegex: true), model: .bpe(bpe),
                      postProcessor: .roberta(cls: (special.cls, try id(special.cls)), sep: (special.sep, try id(special.sep)),
                                              trimOffsets: trimOffsets, addPrefixSpace: addPrefixSpace),
                      decoder: .byteLevel, addedTokens: added.sorted { $0.id < $1.id })
    }
}
