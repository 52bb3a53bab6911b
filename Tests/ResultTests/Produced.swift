import Foundation

/// Job names made by a producer thread, read by the test.
final class Produced: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    private var done = false

    func add(_ name: String) { lock.withLock { list.append(name) } }
    func finish() { lock.withLock { done = true } }
    var names: [String] { lock.withLock { list } }
    var isFinished: Bool { lock.withLock { done } }
}
