import BertTensors

// The errors BertVerify throws, all typed (see `BertKitError`).
extension GoldenError: BertKitError {}
extension QualityBoundError: BertKitError {}
extension TaskQualityError: BertKitError {}
