import Foundation

/// The names of `incoming/` entries waiting for a worker, each at most once.
///
/// Watchers add names as hints (the same name may be reported by an event and a
/// scan); workers block in `take` until a name comes or the queue is closed.
final class WorkQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending: [String] = []
    private var head = 0
    private var members: Set<String> = []
    private var closed = false

    /// Adds names not already waiting.
    func add(_ names: [String]) {
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { return }
        for name in names where members.insert(name).inserted {
            pending.append(name)
        }
        condition.broadcast()
    }

    /// Adds `name` again after `delay` seconds: for an entry locked for a moment.
    func addLater(_ name: String, after delay: Double) {
        DispatchQueue.global().asyncAfter(deadline: .now() + delay) { [weak self] in
            self?.add([name])
        }
    }

    /// The next name, or nil once the queue is closed.
    func take() -> String? {
        condition.lock()
        defer { condition.unlock() }
        while head == pending.count && !closed { condition.wait() }
        guard !closed else { return nil }
        let name = pending[head]
        head += 1
        if head > 1024 && head * 2 > pending.count {
            pending.removeFirst(head)
            head = 0
        }
        members.remove(name)
        return name
    }

    /// How many names wait.
    var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return pending.count - head
    }

    /// Wakes every worker with nil: no more names will be handed out.
    func close() {
        condition.lock()
        defer { condition.unlock() }
        closed = true
        condition.broadcast()
    }
}
