/// The fixed numbers of the .bkm layout (`formats/bkm.md` §1).
///
///     0   4  magic "BKM\0"
///     4   4  version u32 = 2, or 3 with the slow tokenizer files (1 is still read)
///     8   8  header_length H u64
///     16  4  header_crc32c u32 (CRC-32C of bytes [0,16) then the header)
///     20  4  reserved u32 = 0
///     24  H  header JSON
///     D = align64(24 + H): tensor data, every tensor 64-aligned
enum BKMLayout {
    static let magic: [UInt8] = [0x42, 0x4B, 0x4D, 0x00]
    /// What the writer writes (§2.3): 2 unless `tokenizer_files` holds a name only version 3 allows.
    static func version(tokenizerFiles names: some Sequence<String>) -> UInt32 {
        names.allSatisfy(versionTwoTokenizerFiles.contains) ? 2 : 3
    }
    /// What the reader reads: version 1 had `pooling` where version 2 has `tokenizer_files` and
    /// `sentence_transformers`; version 3 allows the slow tokenizer files in `tokenizer_files`.
    static let readable: ClosedRange<UInt32> = 1...3
    /// `tokenizer_files` names by version (§2.3).
    static let versionTwoTokenizerFiles = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json"]
    static func tokenizerFileNames(version: UInt32) -> [String] {
        version >= 3 ? TokenizerFiles.verbatimNames : versionTwoTokenizerFiles
    }
    static let preambleSize = 24
    static let alignment = 64
    static let maxHeaderLength = 268_435_456
    static let formatName = "bertkit-model"

    /// `n` rounded up to a multiple of 64, or nil on overflow.
    static func aligned(_ n: Int) -> Int? {
        let (s, o) = n.addingReportingOverflow(alignment - 1)
        return o ? nil : s & ~(alignment - 1)
    }

    static let headerKeys = ["format", "config", "architecture", "labels", "tokenizer", "vocabulary", "tokenizer_files",
                             "sentence_transformers", "provenance", "load_report", "tensors", "data_bytes"]
    static let headerKeysV1 = ["format", "config", "labels", "tokenizer", "vocabulary", "pooling", "provenance",
                               "load_report", "tensors", "data_bytes"]
    static let tensorKeys = ["name", "dtype", "shape", "offset", "bytes", "crc32c", "source_name"]
    static let provenanceKeys = ["sources", "tool", "created", "source_format"]
    static let sourceKeys = ["file", "sha256", "bytes"]
    static let reportKeys = ["unused", "unexpected", "ignored", "tied"]
    static let reportKeysV1 = ["unused", "unexpected", "ignored"]
    static let architectureKeys = ["model_type", "class", "head", "pooler", "tied", "carried"]
    static let tieKeys = ["tensor", "to"]
    /// Version 1's `pooling`.
    static let poolingKeysV1 = ["mode", "normalize"]
    static let sentenceTransformersKeys = ["modules", "max_seq_length", "do_lower_case", "prompts", "default_prompt_name",
                                           "similarity_fn_name", "truncate_dim"]
    static let moduleKeys = ["Pooling": ["type", "path", "mode", "include_prompt"],
                             "Dense": ["type", "path", "in_features", "out_features", "bias", "activation_function"],
                             "Normalize": ["type", "path"]]
}
