import BertTensors

// The errors BertModel throws, all typed (see `BertKitError`).
extension ModelError: BertKitError {}
extension PipelineError: BertKitError {}
extension FineTuningError: BertKitError {}
extension EntitySchemeError: BertKitError {}
