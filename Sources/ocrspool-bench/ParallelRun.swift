import Foundation
import Synchronization

/// Runs a job over every item on N threads, each with its own worker state
/// (an engine), and times the whole run.
enum ParallelRun {
    /// Results in item order, and the wall-clock seconds the run took, not
    /// counting `makeWorker`.
    ///
    /// - Parameters:
    ///   - label: shown in the progress line on stderr for long runs.
    ///   - makeWorker: builds one thread's state before the clock starts.
    ///   - job: processes one item with that state.
    static func map<Item: Sendable, Worker, Result: Sendable>(
        _ items: [Item], threads: Int, label: String,
        makeWorker: @escaping @Sendable () throws -> Worker,
        job: @escaping @Sendable (inout Worker, Item) -> Result
    ) throws -> (results: [Result], seconds: Double) {
        let next = Atomic<Int>(0)
        let done = Atomic<Int>(0)
        let ready = DispatchSemaphore(value: 0)
        let start = DispatchSemaphore(value: 0)
        let results = Mutex<[Int: Result]>([:])
        let failure = Mutex<String?>(nil)
        let group = DispatchGroup()
        let progress = Progress(label: label, total: items.count)

        for _ in 0..<threads {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                var worker: Worker
                do {
                    worker = try makeWorker()
                } catch {
                    failure.withLock { $0 = "\(error)" }
                    ready.signal()
                    return
                }
                ready.signal()
                start.wait()

                var mine: [Int: Result] = [:]
                while true {
                    let index = next.add(1, ordering: .relaxed).oldValue
                    guard index < items.count else { break }
                    mine[index] = job(&worker, items[index])
                    progress.tick(done.add(1, ordering: .relaxed).newValue)
                }
                results.withLock { $0.merge(mine) { first, _ in first } }
            }
        }

        // Start the clock once every worker has loaded its engine.
        for _ in 0..<threads { ready.wait() }
        let began = Date()
        for _ in 0..<threads { start.signal() }
        group.wait()
        let seconds = Date().timeIntervalSince(began)
        progress.finish()

        if let message = failure.withLock({ $0 }) {
            throw BenchError("worker setup failed: \(message)")
        }
        let collected = results.withLock { $0 }
        return ((0..<items.count).map { collected[$0]! }, seconds)
    }
}

/// A progress line on stderr, rewritten at most twice a second.
final class Progress: Sendable {
    private let label: String
    private let total: Int
    private let last = Mutex<Date>(Date())
    private let shown = Atomic<Bool>(false)

    init(label: String, total: Int) {
        self.label = label
        self.total = total
    }

    func tick(_ done: Int) {
        let now = Date()
        let due = last.withLock { last -> Bool in
            guard now.timeIntervalSince(last) >= 0.5 else { return false }
            last = now
            return true
        }
        guard due else { return }
        shown.store(true, ordering: .relaxed)
        FileHandle.standardError.write(Data("\r\(label): \(done)/\(total)   ".utf8))
    }

    func finish() {
        if shown.load(ordering: .relaxed) {
            FileHandle.standardError.write(Data("\r\(label): done\u{1B}[K\n".utf8))
        }
    }
}
