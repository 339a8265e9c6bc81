import BertTensors
import CBertKit
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// libhdf5 does not claim to read hostile files safely, and fuzzing bears that out: crafted files
/// crash it (a free of a wild pointer while listing a group's links). So HDF5 files are read in a
/// forked child process. The child runs the reader, copies the tensors into an anonymous memory
/// file the parent created, and appends a trailer (the names, dtypes, shapes and offsets, or the
/// error, as JSON, then its 8-byte length). The parent maps that file: no copy. If the child
/// crashes, or runs past its time, the parent throws `HDF5Error.readerFailed` naming the file.
///
/// The fork happens with the libhdf5 lock held, so the child is the only user of libhdf5 in its
/// address space; it ends with `_exit`, never running the parent's atexit handlers or flushing
/// the parent's buffers. It also happens through the fork gate (`bk_fork_gated`): a child forked
/// while another thread held a Swift runtime lock waited for it forever (`convert x.h5 m.bkm`
/// hashes the source on a background thread; 32 of 1,600 conversions hung at load 17).
enum HDF5Isolation {
    /// The child's CPU time: generous for a real read (bert-large's 1.3 GB `.h5` takes a few seconds;
    /// 64 MiB of layer names took over 13 s under AddressSanitizer), short for a hang: fuzzing found
    /// files on which libhdf5 loops forever, and a user should not wait minutes for that refusal.
    /// CPU, not wall time, so a loaded machine does not fail a read.
    static func cpuLimit(fileSize: Int) -> Int { 30 + fileSize / 5_000_000 }
    /// The wall-clock backstop, for a child that waits instead of working.
    static func timeLimit(fileSize: Int) -> Double { 120 + Double(fileSize) / 10e6 }

    static func read(path: String, _ body: @escaping () throws -> NamedTensors) throws -> NamedTensors {
        var st = stat()
        let size = stat(path, &st) == 0 ? Int(st.st_size) : 0
        return try HDF5Library.locked {
            let memfd = bk_memfd_create("bertkit-hdf5")
            guard memfd >= 0 else { return try body() }  // no memfd (not Linux): read in this process
            defer { close(memfd) }
            var done: [Int32] = [-1, -1]
            guard pipe(&done) == 0 else { return try body() }
            let pid = pid_t(bk_fork_gated())
            if pid == 0 {
                close(done[0])
                bk_quiet_child()
                bk_limit_cpu(UInt32(cpuLimit(fileSize: size)))
                child(memfd, path: path, body)
            }
            close(done[1])
            defer { close(done[0]) }
            guard pid > 0 else { return try body() }
            try waitForChild(pid, done: done[0], path: path, seconds: timeLimit(fileSize: size), cpu: cpuLimit(fileSize: size))
            return try Transfer.receive(memfd, path: path)
        }
    }

    private static func child(_ fd: Int32, path: String, _ body: () throws -> NamedTensors) -> Never {
        let result: Transfer.Result
        do {
            result = .read(try Transfer.send(body(), to: fd))
        } catch let e as HDF5Error {
            result = .hdf5(e)
        } catch let e as IOError {
            result = .io(e)
        } catch {
            result = .hdf5(.library(path: path, operation: "read", object: "", message: "\(error)"))
        }
        Transfer.finish(result, fd: fd)
        _exit(0)
    }

    /// Waits for the child to close its end of `done` (by exiting), then reaps it.
    private static func waitForChild(_ pid: pid_t, done: Int32, path: String, seconds: Double, cpu: Int) throws {
        let deadline = Date().addingTimeInterval(seconds)
        var p = pollfd(fd: done, events: Int16(POLLIN), revents: 0)
        while true {
            let left = Int32(max(0, min(Double(Int32.max), deadline.timeIntervalSinceNow * 1000)))
            let r = poll(&p, 1, left)
            if r < 0, errno == EINTR { continue }
            if r == 0 {
                kill(pid, SIGKILL)
                reap(pid)
                throw HDF5Error.readerFailed(path: path, how: "did not finish in \(Int(seconds)) s")
            }
            break
        }
        let status = reap(pid)
        let signal = status & 0x7F, code = (status >> 8) & 0xFF
        if signal == SIGXCPU {
            throw HDF5Error.readerFailed(path: path, how: "did not finish in its \(cpu) s of CPU")
        }
        if signal != 0 { throw HDF5Error.readerFailed(path: path, how: "crashed (signal \(signal), \(String(cString: strsignal(signal))))") }
        if code != 0 { throw HDF5Error.readerFailed(path: path, how: "failed (exit status \(code))") }
    }

    @discardableResult
    private static func reap(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        return status
    }
}

/// The memory file between the reading child and the parent.
private enum Transfer {
    struct Entry: Codable {
        let name: String
        let dtype: String
        let shape: [Int]
        let offset: Int
        let bytes: Int
    }

    struct Tensors: Codable {
        let keras: Bool
        let entries: [Entry]
    }

    enum Result: Codable {
        case read(Tensors)
        case hdf5(HDF5Error)
        case io(IOError)
    }

    /// Writes each tensor's bytes at a 64-aligned offset.
    static func send(_ t: NamedTensors, to fd: Int32) throws -> Tensors {
        var at = 0
        var entries: [Entry] = []
        for (name, x) in t.entries {
            at = (at + 63) & ~63
            try write(fd, x.bytes, at: at)
            entries.append(Entry(name: name, dtype: x.dtype.rawValue, shape: x.shape, offset: at, bytes: x.byteCount))
            at += x.byteCount
        }
        return Tensors(keras: t.naming == .keras, entries: entries)
    }

    /// The trailer, after the data: JSON, then its length as 8 little-endian bytes.
    static func finish(_ r: Result, fd: Int32) {
        var st = stat()
        let end = fstat(fd, &st) == 0 ? Int(st.st_size) : 0
        guard let json = try? JSONEncoder().encode(r) else { _exit(3) }
        var tail = [UInt8](json)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { tail += $0 }
        do { try tail.withUnsafeBytes { try write(fd, $0, at: end) } } catch { _exit(4) }
    }

    static func receive(_ fd: Int32, path: String) throws -> NamedTensors {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw HDF5Error.readerFailed(path: path, how: "left no result") }
        let size = Int(st.st_size)
        let storage = try ByteStorage.map(fd: fd, size: size, origin: path)
        guard size >= 8 else { throw HDF5Error.readerFailed(path: path, how: "left no result") }
        let n = Int(storage.base.loadUnaligned(fromByteOffset: size - 8, as: UInt64.self).littleEndian)
        guard n <= size - 8, let trailer = storage.slice(offset: size - 8 - n, length: n),
              let r = try? JSONDecoder().decode(Result.self, from: Data(trailer))
        else { throw HDF5Error.readerFailed(path: path, how: "left an unreadable result") }
        switch r {
        case .hdf5(let e): throw e
        case .io(let e): throw e
        case .read(let t):
            let entries = try t.entries.map { e -> (name: String, tensor: RawTensor) in
                guard let d = DType(rawValue: e.dtype) else { throw HDF5Error.readerFailed(path: path, how: "sent dtype \(e.dtype)") }
                return (e.name, try RawTensor(dtype: d, shape: e.shape, storage: storage, offset: e.offset, byteCount: e.bytes))
            }
            return NamedTensors(file: path, naming: t.keras ? .keras : .huggingFace, entries: entries)
        }
    }

    static func write(_ fd: Int32, _ b: UnsafeRawBufferPointer, at offset: Int) throws {
        var done = 0
        while done < b.count {
            let n = pwrite(fd, b.baseAddress! + done, b.count - done, off_t(offset + done))
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw IOError.cannotWrite(path: "memfd", reason: String(cString: strerror(errno))) }
            done += n
        }
    }
}
