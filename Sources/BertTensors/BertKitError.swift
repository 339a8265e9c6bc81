import Foundation

/// Every error a bertkit library throws conforms: a typed value whose `errorDescription` names the
/// file (or tensor, key, line) and says what was found and what was expected. The fuzz targets
/// (Fuzz/README.md) check that hostile input only ever produces one of these, never a trap, a
/// Foundation error or an untyped `Error`.
public protocol BertKitError: LocalizedError {}

extension TensorError: BertKitError {}
extension IOError: BertKitError {}
