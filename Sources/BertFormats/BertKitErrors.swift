import BertTensors

// The errors BertFormats throws, all typed (see `BertKitError`).
extension LoadError: BertKitError {}
extension ArchitectureError: BertKitError {}
extension CheckpointError: BertKitError {}
extension ConfigError: BertKitError {}
extension VocabularyError: BertKitError {}
extension JSONError: BertKitError {}
extension SafeTensorsError: BertKitError {}
extension ShardIndexError: BertKitError {}
extension BKMError: BertKitError {}
extension ZipError: BertKitError {}
extension PickleError: BertKitError {}
extension PyTorchBinError: BertKitError {}
extension HDF5Error: BertKitError {}
extension CSVError: BertKitError {}
extension TaggedDataError: BertKitError {}
