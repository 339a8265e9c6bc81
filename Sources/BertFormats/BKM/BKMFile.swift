import BertTensors

/// Placeholder until the .bkm reader lands.
public struct BKMFile: Sendable {
    public let config: BertConfig
    public let vocabulary: Vocabulary?
    public let tokenizer: TokenizerSettings?
    public let pooling: SentencePooling?

    public static func open(path: String) throws -> BKMFile {
        throw CheckpointError.unsupportedSource(path: path, reason: ".bkm is not supported yet")
    }
    public func checkpoint(verify: Bool) throws -> Checkpoint { fatalError() }
    public func named(verify: Bool) -> NamedTensors { fatalError() }
}
