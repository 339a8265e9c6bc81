// libFuzzer target for FuzzTarget.charsmap (Fuzz/README.md). Built only with BERTKIT_FUZZ=1 and
// -sanitize=fuzzer, which provides LLVMFuzzerRunDriver; .ci/fuzz runs it.
import BertFuzz
import Foundation

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 { FuzzTarget.charsmap.fuzz(data, size) }

FuzzTarget.charsmap.writeSeedsIfAsked()  // BERTKIT_FUZZ_SEEDS=<dir>: write the seed corpus there and exit
var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOne))
