import BertTensors

/// HDF5 weights: PyTorch-style (flat or nested `state_dict` names) and Keras `tf_model.h5`.
/// (Placeholder until the HDF5 reader lands.)
public enum HDF5Reader {
    /// Every weight dataset in the file, with `naming` telling how to map its names.
    public static func read(path: String) throws -> NamedTensors {
        throw CheckpointError.unsupportedSource(path: path, reason: "HDF5 weights are not supported yet")
    }
}

public enum HDF5Writer {
    /// Writes `tensors` as flat PyTorch-style datasets (one per `state_dict` key at the root).
    public static func write(_ tensors: [(name: String, tensor: RawTensor)], to path: String) throws {
        throw CheckpointError.unsupportedSource(path: path, reason: "writing HDF5 is not supported yet")
    }
}
