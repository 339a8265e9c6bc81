import BertTensors
import Foundation
import TestSupport
import XCTest

@testable import BertFormats

/// The HDF5 reader forks; a child forked while another thread held a Swift runtime lock waited
/// for it forever (HDF5Isolation). So the reader forks only when no source hash is in progress.
final class ForkGateTests: XCTestCase {
    /// The hash reads a FIFO, so it stays in progress until the test writes: a read of a tiny
    /// `.h5` (tens of milliseconds) must not finish before that write.
    func testTheHDF5ReaderDoesNotForkWhileASourceIsBeingHashed() throws {
        let fifo = Repo.temporaryDirectory() + "/source"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let hasher = SourceHasher(startingWith: [fifo])
        Thread.sleep(forTimeInterval: 0.2)  // the hash is running: blocked opening the FIFO

        final class Clock: @unchecked Sendable { var readDone = Date.distantFuture; var error: Error? }
        let clock = Clock()
        let done = DispatchSemaphore(value: 0)
        let h5 = Repo.fixture("formats/tiny-cls-h5-flat/model.h5")
        DispatchQueue.global().async {
            do { _ = try HDF5Reader.read(path: h5) } catch { clock.error = error }
            clock.readDone = Date()
            done.signal()
        }
        Thread.sleep(forTimeInterval: 0.5)
        let written = Date()
        let fd = open(fifo, O_WRONLY)
        XCTAssertGreaterThanOrEqual(fd, 0)
        XCTAssertEqual(write(fd, "abc", 3), 3)
        close(fd)

        XCTAssertEqual(done.wait(timeout: .now() + 120), .success)
        XCTAssertNil(clock.error)
        XCTAssertGreaterThanOrEqual(clock.readDone, written, "the reader forked while the hash was in progress")
        XCTAssertEqual(try hasher.digests(for: [fifo]),
                       ["ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"])  // SHA-256("abc")
    }
}
