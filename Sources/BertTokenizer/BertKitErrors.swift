import BertTensors

// The errors BertTokenizer throws, all typed (see `BertKitError`).
extension TokenizerError: BertKitError {}
extension InputFileError: BertKitError {}
extension TokenizerPipelineError: BertKitError {}
