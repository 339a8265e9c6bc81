import BertTensors

/// `pytorch_model.bin` (a zip holding a pickle), read without running any code.
/// (Placeholder until the reader lands.)
public enum PyTorchBinReader {
    public static func read(path: String) throws -> NamedTensors {
        throw CheckpointError.unsupportedSource(path: path, reason: "PyTorch .bin files are not supported yet")
    }
}
